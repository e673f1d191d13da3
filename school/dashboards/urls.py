"""Routes of the dashboards: a person's start page, a classroom's and a learner's charts."""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("classrooms/<int:classroom_id>/", views.classroom, name="classroom"),
    path("learners/<int:learner_id>/", views.learner, name="learner"),
]
