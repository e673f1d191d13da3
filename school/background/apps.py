from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "school.background"
    label = "background"
    verbose_name = "Background work"
