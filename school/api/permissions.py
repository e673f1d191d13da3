"""Permission classes shared by the platform's APIs."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_teacher(user) -> bool:
    """Teachers (and staff) create classrooms and learning material; learners use them."""
    if not user or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    profile = getattr(user, "learner_profile", None)
    return bool(profile and profile.role == profile.Role.TEACHER)


class IsTeacherOrReadOnly(BasePermission):
    """Anyone signed in reads; only teachers and staff write."""

    message = "Only teachers can create or change this."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_teacher(request.user)


class IsTeacher(BasePermission):
    message = "Only teachers can do this."

    def has_permission(self, request, view):
        return is_teacher(request.user)
