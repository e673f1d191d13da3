import pytest
from django.urls import reverse

from school import factories
from school.reading import services

pytestmark = pytest.mark.django_db


def test_admin_pages_of_content_and_readings_render_and_filter(admin_client, learner, classroom):
    story = factories.ContentFactory(kind="story", title="El gato", level="A1")
    factories.ContentFactory(kind="article", title="El clima", level="B1")
    reading = services.view_content(learner=learner, content=story, classroom=classroom)
    for name, obj in (("content", story), ("reading", reading)):
        assert admin_client.get(reverse(f"admin:reading_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:reading_{name}_change", args=[obj.pk])).status_code == 200
    page = admin_client.get(reverse("admin:reading_content_changelist"), {"kind__exact": "story", "q": "gato"})
    assert list(page.context["cl"].result_list) == [story]
