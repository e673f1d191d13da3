from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "school.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
