"""API tokens: hashed at rest, expiring, revoked by signing out, by an admin and by a password change."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from school import factories

pytestmark = pytest.mark.django_db

INVALID = {"detail": "Invalid token."}


@pytest.fixture
def ana(db):
    return factories.UserFactory(username="ana")


def sign_in(username: str = "ana", password: str = factories.PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def me_status(token: str) -> int:
    return with_token(token).get("/api/v1/me/").status_code


def test_the_token_answer_says_when_it_expires(clock, ana):
    response = APIClient().post("/api/v1/auth/token/", {"username": "ana", "password": factories.PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body == {"token": body["token"], "expires": DateTimeField().to_representation(clock.now + timedelta(days=30))}
    assert me_status(body["token"]) == 200


def test_the_lifetime_follows_the_setting(clock, ana, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
    response = APIClient().post("/api/v1/auth/token/", {"username": "ana", "password": factories.PASSWORD})
    assert response.json()["expires"] == DateTimeField().to_representation(clock.now + timedelta(days=2))


def test_an_expired_token_gets_401(clock, ana):
    token = sign_in()
    clock.advance(days=30)
    assert me_status(token) == 200
    clock.advance(seconds=1)
    response = with_token(token).get("/api/v1/me/")
    assert (response.status_code, response.json(), response["WWW-Authenticate"]) == (401, INVALID, "Token")
    assert AuthToken.objects.count() == 0  # and it is gone


def test_logout_revokes_only_the_token_it_is_sent_with(ana):
    phone, laptop = sign_in(), sign_in()
    response = with_token(phone).post("/api/v1/auth/logout/")
    assert (response.status_code, response.content) == (204, b"")
    assert with_token(phone).get("/api/v1/me/").json() == INVALID
    assert (me_status(phone), me_status(laptop)) == (401, 200)


def test_logout_needs_a_token_a_session_has_none_to_revoke(ana):
    client = APIClient()
    client.force_login(ana)
    response = client.post("/api/v1/auth/logout/")
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})


def test_logout_all_revokes_every_token_of_the_caller_only(ana):
    phone, laptop = sign_in(), sign_in()
    factories.UserFactory(username="bob")
    bobs = sign_in("bob")
    response = with_token(phone).post("/api/v1/auth/logout-all/")
    assert (response.status_code, response.content) == (204, b"")
    assert (me_status(phone), me_status(laptop), me_status(bobs)) == (401, 401, 200)


def test_changing_the_password_in_the_admin_revokes_every_token(ana, client):
    phone, laptop = sign_in(), sign_in()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    form = client.get(f"/admin/auth/user/{ana.pk}/password/")
    assert "signs the account out of the API everywhere" in form.content.decode()  # the form's help says so
    response = client.post(f"/admin/auth/user/{ana.pk}/password/", {
        "password1": "a-new-pass-4821", "password2": "a-new-pass-4821", "usable_password": "true"})
    assert response.status_code == 302
    assert (me_status(phone), me_status(laptop)) == (401, 401)
    assert me_status(sign_in(password="a-new-pass-4821")) == 200


def test_any_password_change_revokes_every_token(ana):
    token = sign_in()
    ana.set_password("a-new-pass-4821")  # as manage.py changepassword and Django's password views do
    ana.save()
    assert me_status(token) == 401


def test_saving_a_user_without_a_new_password_keeps_the_tokens(ana):
    token = sign_in()
    ana.first_name = "Ana"
    ana.save()
    assert me_status(token) == 200


def test_a_password_hash_upgraded_at_sign_in_is_no_change(ana, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    ana.password = make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
    ana.save()
    token = sign_in()
    second = sign_in()  # the first sign-in upgraded the hash to the preferred hasher
    ana.refresh_from_db()
    assert ana.password.startswith("md5$")
    assert (me_status(token), me_status(second)) == (200, 200)


def test_a_stolen_token_row_does_not_authenticate(ana):
    token = sign_in()
    row = AuthToken.objects.get(user=ana)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()  # only a digest is stored...
    assert token not in (row.digest, row.token_key)  # ...and a prefix to find it by
    for stolen in (row.digest, row.token_key, row.digest[:64]):  # the last one shaped like a real token
        response = with_token(stolen).get("/api/v1/me/")
        assert (response.status_code, response.json()) == (401, INVALID)
    assert me_status(token) == 200


def test_beyond_the_tokens_per_user_the_oldest_are_revoked(clock, ana, settings):
    settings.API_TOKENS_PER_USER = 3
    tokens = []
    for _ in range(4):
        tokens.append(sign_in())
        clock.advance(seconds=1)
    assert [me_status(token) for token in tokens] == [401, 200, 200, 200]


def test_signing_in_deletes_the_users_expired_tokens(clock, ana):
    sign_in()
    clock.advance(days=31)
    sign_in()
    assert AuthToken.objects.filter(user=ana).count() == 1


def test_the_admin_revokes_all_tokens_of_the_chosen_people(ana, client):
    factories.UserFactory(username="bob")
    phone, laptop, bobs = sign_in(), sign_in(), sign_in("bob")
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/auth/user/", {"action": "revoke_api_tokens", "_selected_action": [ana.pk]},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Signed out of the API: 1 account, 2 tokens revoked."]
    assert (me_status(phone), me_status(laptop), me_status(bobs)) == (401, 401, 200)


def test_the_schema_describes_the_token_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    token_answer = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]
    assert token_answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Token"}
    assert sorted(schema["components"]["schemas"]["Token"]["required"]) == ["expires", "token"]
    assert schema["components"]["schemas"]["Token"]["properties"]["expires"]["format"] == "date-time"
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["429"]["headers"]["Retry-After"]
    for path in ("/api/v1/auth/logout/", "/api/v1/auth/logout-all/"):
        assert schema["paths"][path]["post"]["responses"]["204"] == {"description": "No response body"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_old_plain_text_tokens():
    """A database made before knox holds rest_framework.authtoken's table of plain tokens: it goes."""
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    with connection.schema_editor() as editor:
        editor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp NOT NULL, "
                       "user_id integer NOT NULL)")
        editor.execute("INSERT INTO authtoken_token VALUES ('b697b08a50df9a9e20ce8c5e389a74e3f1fe123f', "
                       "'2026-01-01 00:00:00', 1)")
    MigrationRecorder(connection).record_applied("authtoken", "0001_initial")
    ContentType.objects.create(app_label="authtoken", model="token")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
    assert not ContentType.objects.filter(app_label="authtoken").exists()
