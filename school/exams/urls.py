"""URLs of the exams API (under /api/v1/)."""

urlpatterns: list = []
