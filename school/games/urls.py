"""URLs of the games API (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("games/", api.GameListCreateApi.as_view(), name="game-list"),
    path("games/<int:pk>/", api.GameDetailApi.as_view(), name="game-detail"),
    path("games/<int:pk>/completions/", api.GameCompletionCreateApi.as_view(), name="game-completions"),
]
