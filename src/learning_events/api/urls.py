"""URLs of the pipeline API (under /api/v1/)."""

urlpatterns: list = []
