"""URL map: the API under /api/v1/, its OpenAPI schema, the admin, the login pages, the dashboards."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from school.accounts.api import LogoutAllApi, LogoutApi, MeApi, TokenCreateApi

api_v1 = [
    path("auth/token/", TokenCreateApi.as_view(), name="auth-token"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/logout-all/", LogoutAllApi.as_view(), name="auth-logout-all"),
    path("me/", MeApi.as_view(), name="me"),
    path("", include("school.classrooms.urls")),
    path("", include("school.vocabulary.urls")),
    path("", include("school.exams.urls")),
    path("", include("school.reading.urls")),
    path("", include("school.games.urls")),
    path("", include("learning_events.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own URL (?script): no inline script (CSP).
    path("api/schema/swagger/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # Redoc injects inline style sheets, which the Content Security Policy refuses: its old URL shows Swagger UI.
    path("api/schema/redoc/", RedirectView.as_view(pattern_name="swagger-ui", query_string=True), name="redoc"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("dashboard/", include("school.dashboards.urls")),
    path("", RedirectView.as_view(pattern_name="dashboards:home"), name="root"),
]

handler404 = "school.api.exceptions.page_not_found"
