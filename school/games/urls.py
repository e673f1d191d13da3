"""URLs of the games API (under /api/v1/)."""

urlpatterns: list = []
