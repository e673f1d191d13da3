"""URLs of the vocabulary API (under /api/v1/)."""

urlpatterns: list = []
