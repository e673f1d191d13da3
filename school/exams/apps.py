from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "school.exams"
    label = "exams"
    verbose_name = "Exams"
