"""The vocabulary admin pages render with their columns, filters, search and read-only answers."""

import pytest
from django.test import Client

from school import factories
from school.vocabulary import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def answered_session(learner, classroom):
    word = factories.WordFactory(text="hola", translation="hello")
    word_list = factories.WordListFactory(name="Greetings", words=[word])
    session = services.start_practice(learner=learner, word_list=word_list, classroom=classroom)
    services.answer_flashcard(session=session, word_id=word.pk, answer="hullo")
    return session


@pytest.mark.parametrize("path", [
    "/admin/vocabulary/word/?q=hel&language__exact=es",
    "/admin/vocabulary/wordlist/?q=Greet&language__exact=es&o=4",
    "/admin/vocabulary/practicesession/?ended_at__isempty=1&q=user",
    "/admin/vocabulary/practiceanswer/?correct__exact=0&q=hola",
])
def test_changelists_filter_and_search(admin_client, answered_session, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_changelist_search_by_session_uuid(admin_client, answered_session):
    response = admin_client.get(f"/admin/vocabulary/practicesession/?q={answered_session.uuid}")
    assert list(response.context["cl"].result_list) == [answered_session]


def test_session_page_shows_its_answers_read_only(admin_client, answered_session):
    response = admin_client.get(f"/admin/vocabulary/practicesession/{answered_session.pk}/change/")
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
        False, False, False)
    assert "hullo" in response.content.decode()


def test_word_and_word_list_pages_render(admin_client, answered_session):
    word_list = answered_session.word_list
    word = word_list.words.get()
    assert admin_client.get(f"/admin/vocabulary/word/{word.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/vocabulary/wordlist/{word_list.pk}/change/").status_code == 200
    assert admin_client.get("/admin/vocabulary/practiceanswer/add/").status_code == 403
