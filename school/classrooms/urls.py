"""URLs of the classrooms API (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("classrooms/", api.ClassroomListCreateApi.as_view(), name="classroom-list"),
    path("classrooms/join/", api.ClassroomJoinApi.as_view(), name="classroom-join"),
    path("classrooms/<int:pk>/", api.ClassroomDetailApi.as_view(), name="classroom-detail"),
    path("classrooms/<int:pk>/members/", api.ClassroomMemberListApi.as_view(), name="classroom-members"),
    path("classrooms/<int:pk>/assignments/", api.ClassroomAssignmentListCreateApi.as_view(),
         name="classroom-assignments"),
    path("classrooms/<int:pk>/assignments/progress/", api.ClassroomAssignmentProgressApi.as_view(),
         name="classroom-assignment-progress"),
    path("me/assignments/", api.MyAssignmentListApi.as_view(), name="my-assignments"),
]
