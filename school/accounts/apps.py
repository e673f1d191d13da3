from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "school.accounts"
    label = "accounts"
    verbose_name = "People"
