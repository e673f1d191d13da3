"""The beat schedule (run by Celery beat, or in-process by run_periodic_tasks): the xAPI forwarding runs only
when an LRS endpoint is configured, every LEARNING_EVENTS_XAPI_INTERVAL_SECONDS."""

import runpy
from pathlib import Path

import school.config

SETTINGS = Path(school.config.__file__).with_name("settings.py")


def schedule() -> dict:
    return runpy.run_path(str(SETTINGS))["CELERY_BEAT_SCHEDULE"]


def test_forwarding_is_scheduled_only_with_an_endpoint(monkeypatch):
    monkeypatch.delenv("LEARNING_EVENTS_XAPI_ENDPOINT", raising=False)
    assert "learning-events-forward-xapi" not in schedule()
    monkeypatch.setenv("LEARNING_EVENTS_XAPI_ENDPOINT", "https://lrs.example/xAPI")
    monkeypatch.setenv("LEARNING_EVENTS_XAPI_INTERVAL_SECONDS", "45")
    assert schedule()["learning-events-forward-xapi"] == {"task": "learning_events.forward_xapi", "schedule": 45}
