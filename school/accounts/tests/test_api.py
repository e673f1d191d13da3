import pytest

from school import factories

pytestmark = pytest.mark.django_db


def test_token_for_right_password_then_me(client_for):
    user = factories.UserFactory(username="ana")
    response = client_for().post("/api/v1/auth/token/", {"username": "ana", "password": factories.PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {"id": user.pk, "username": "ana", "display_name": "ana", "role": "learner",
                         "time_zone": "UTC"}


def test_token_for_wrong_password_is_400(client_for):
    factories.UserFactory(username="ana")
    response = client_for().post("/api/v1/auth/token/", {"username": "ana", "password": "nope"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_token_without_fields_is_400_with_field_errors(client_for):
    response = client_for().post("/api/v1/auth/token/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_me_anonymous_is_401(client_for):
    response = client_for().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_me_creates_missing_profile_for_users_made_elsewhere(client_for, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456789")
    response = client_for(admin).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["display_name"] == "root"


def test_schema_is_served(client_for):
    response = client_for().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/classrooms/" in response.json()["paths"]
