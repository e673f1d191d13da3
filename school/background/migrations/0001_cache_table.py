"""The database cache's table (``django_cache``), made by ``migrate`` so that no deployment, test database,
benchmark or CI run can miss it: without ``CACHE_URL`` the rate limits keep their counters there, shared by
every server process (school/config/settings.py, CACHES)."""

from django.core.management import call_command
from django.db import migrations

TABLE = "django_cache"


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
