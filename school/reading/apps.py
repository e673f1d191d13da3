from django.apps import AppConfig


class ReadingConfig(AppConfig):
    name = "school.reading"
    label = "reading"
    verbose_name = "Stories and articles"
