"""Drops the plain-text API tokens of ``rest_framework.authtoken`` (the app is no longer installed).

API tokens are django-rest-knox's now, stored as digests and expiring. The old ``authtoken_token`` table held
every token in plain text, so it goes rather than lingering in the database (and in its backups): every old
token stops working and its clients sign in again (``POST /api/v1/auth/token/``) for a new one. The app's
migration records, content type and permissions go with it. Nothing to do on a database that never had it.
Irreversible in effect: reversing keeps nothing to restore.
"""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

OLD_TABLE = "authtoken_token"


def drop_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    # Deleting the content type deletes its permissions ("Can view token", ...) by cascade.
    apps.get_model("contenttypes", "ContentType").objects.using(connection.alias).filter(app_label="authtoken").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(drop_plain_tokens, migrations.RunPython.noop)]
