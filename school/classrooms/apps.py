from django.apps import AppConfig


class ClassroomsConfig(AppConfig):
    name = "school.classrooms"
    label = "classrooms"
    verbose_name = "Classrooms and assignments"
