# Rollups fanned out over Celery workers (docs/scaling.md): the dirty marks a fan-out holds, and the
# learner-classroom-word rows the classroom rollup sums, shard by shard of learners.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The classroom model is the host's (LEARNING_EVENTS_CLASSROOM_MODEL), like AUTH_USER_MODEL.
CLASSROOM_MODEL = getattr(settings, 'LEARNING_EVENTS_CLASSROOM_MODEL', 'classrooms.Classroom')


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(CLASSROOM_MODEL),
        ('learning_events', '0009_xapi_forwarding'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dirtyday',
            name='taken_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='LearnerClassroomWordDailyStats',
            fields=[
                ('pk', models.CompositePrimaryKey('classroom', 'date', 'user', 'word_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('date', models.DateField()),
                ('word_id', models.BigIntegerField()),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('correct', models.PositiveIntegerField(default=0)),
                ('classroom', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=CLASSROOM_MODEL)),
                ('user', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'learner classroom word daily stats',
            },
        ),
    ]
