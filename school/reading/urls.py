"""URLs of the reading API (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("contents/", api.ContentListCreateApi.as_view(), name="content-list"),
    path("contents/<int:pk>/", api.ContentDetailApi.as_view(), name="content-detail"),
    path("contents/<int:pk>/view/", api.ContentViewApi.as_view(), name="content-view"),
    path("contents/<int:pk>/complete/", api.ContentCompleteApi.as_view(), name="content-complete"),
]
