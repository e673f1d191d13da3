from django.apps import AppConfig


class GamesConfig(AppConfig):
    name = "school.games"
    label = "games"
    verbose_name = "Games"
