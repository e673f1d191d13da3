"""URLs of the reading API (under /api/v1/)."""

urlpatterns: list = []
