"""Sign-in throttling on both entry points: per account and per address, 429 with Retry-After, unlocking."""

from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from school import factories
from school.accounts.lockout import client_address, lockout_end

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]
WRONG = "not-the-password"
REFUSED = {"non_field_errors": ["Unable to log in with provided credentials."]}
PAGE_REFUSED = "correct username and password"  # the login page's and the admin's form errors say it alike


def token_sign_in(username: str, password: str, address: str = "127.0.0.1", **headers):
    return APIClient(REMOTE_ADDR=address, **headers).post(TOKEN, {"username": username, "password": password})


def page_sign_in(username: str, password: str, page: str = "/accounts/login/", address: str = "127.0.0.1"):
    return Client(REMOTE_ADDR=address).post(page, {"username": username, "password": password})


def locked(seconds: int) -> dict:
    return {"detail": f"Too many failed sign-ins for this account or from this address. Try again in {seconds} seconds."}


@pytest.fixture
def ana(db):
    return factories.UserFactory(username="ana")


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob")


def test_the_sixth_wrong_password_on_the_token_endpoint_is_429_with_retry_after(clock, ana):
    for _ in range(5):
        response = token_sign_in("ana", WRONG)
        assert (response.status_code, response.json()) == (400, REFUSED)
    clock.advance(seconds=30)
    response = token_sign_in("ana", WRONG)
    assert (response.status_code, response.json(), response["Retry-After"]) == (429, locked(870), "870")


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_sixth_wrong_password_on_a_login_page_is_a_429_page(clock, ana, page):
    for _ in range(5):
        response = page_sign_in("ana", WRONG, page)
        assert response.status_code == 200
        assert PAGE_REFUSED in response.content.decode()
    response = page_sign_in("ana", WRONG, page)
    assert (response.status_code, response["Retry-After"]) == (429, "900")
    page_text = " ".join(response.content.decode().split())
    until = (clock.now + timedelta(minutes=15)).strftime("%H:%M")
    assert "<h1>Too many failed sign-ins</h1>" in page_text
    assert f"Try again in 15 minutes, after {until} (UTC)." in page_text
    assert 'name="password"' not in page_text


def test_failures_on_both_entry_points_count_against_the_one_account(clock, ana):
    for _ in range(3):
        assert token_sign_in("ana", WRONG).status_code == 400
    for _ in range(2):
        assert page_sign_in("ana", WRONG).status_code == 200
    assert page_sign_in("ana", WRONG).status_code == 429
    assert token_sign_in("ana", WRONG).status_code == 429


def test_the_right_password_is_refused_while_locked_and_accepted_after_the_window(clock, ana):
    for _ in range(5):
        token_sign_in("ana", WRONG)
    clock.advance(minutes=10)
    response = token_sign_in("ana", factories.PASSWORD)
    assert (response.status_code, response.json(), response["Retry-After"]) == (429, locked(300), "300")
    response = page_sign_in("ana", factories.PASSWORD)
    assert (response.status_code, response["Retry-After"]) == (429, "300")
    # The refused attempts were not counted: the lockout ends 15 minutes after the fifth failure, as announced.
    clock.advance(minutes=5, seconds=1)
    response = token_sign_in("ana", factories.PASSWORD)
    assert (response.status_code, sorted(response.json())) == (200, ["expires", "token"])
    response = page_sign_in("ana", factories.PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")


def test_failures_older_than_the_window_are_forgotten(clock, ana):
    for _ in range(4):
        token_sign_in("ana", WRONG)
    clock.advance(minutes=15, seconds=1)
    for _ in range(4):
        assert token_sign_in("ana", WRONG).status_code == 400
    assert token_sign_in("ana", factories.PASSWORD).status_code == 200


def test_other_accounts_from_the_same_address_keep_working(clock, ana, bob):
    for _ in range(6):
        token_sign_in("ana", WRONG)
    assert token_sign_in("ana", factories.PASSWORD).status_code == 429
    assert token_sign_in("bob", factories.PASSWORD).status_code == 200
    assert page_sign_in("bob", factories.PASSWORD).status_code == 302
    assert token_sign_in("bob", WRONG).json() == REFUSED  # bob's own count starts at one


def test_an_address_has_its_own_higher_limit(clock, settings, bob):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for username in ("carla", "dani", "eve", "femi"):  # two failures each: no account near its limit of 5
        for _ in range(2):
            assert token_sign_in(username, WRONG, "198.51.100.7").status_code == 400
    response = token_sign_in("bob", factories.PASSWORD, "198.51.100.7")
    assert (response.status_code, response["Retry-After"]) == (429, "900")
    assert page_sign_in("bob", factories.PASSWORD, address="198.51.100.7").status_code == 429
    assert token_sign_in("bob", factories.PASSWORD, "198.51.100.8").status_code == 200  # another school


def test_behind_a_proxy_failures_count_against_the_address_the_proxy_saw(clock, settings, bob):
    settings.LOGIN_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n, username in enumerate(("carla", "dani", "eve")):  # whatever the client writes in front
        response = token_sign_in(username, WRONG, "10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5")
        assert response.status_code == 400
    assert token_sign_in("bob", factories.PASSWORD, "10.0.0.1",
                         HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5").status_code == 429
    assert token_sign_in("bob", factories.PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


@pytest.mark.parametrize(("proxies", "forwarded_for", "address"), [
    (0, "", "10.0.0.1"),
    (0, "203.0.113.5", "10.0.0.1"),  # no proxy configured: anyone can write the header, it is ignored
    (1, "203.0.113.5", "203.0.113.5"),
    (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),  # what the proxy appended, not what the client wrote
    (2, "192.0.2.1, 203.0.113.5, 198.51.100.2", "203.0.113.5"),
    (2, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the first one
    (1, "", "10.0.0.1"),  # no header: the peer
    (1, "unknown", "10.0.0.1"),  # not an address: the peer
    (1, "2001:db8::1", "2001:db8::1"),
])
def test_client_address(settings, proxies, forwarded_for, address):
    settings.LOGIN_PROXY_COUNT = proxies
    request = RequestFactory().post(TOKEN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_address(request) == address


T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("rows", "end"), [
    ([], None),
    ([(T, 4)], None),
    ([(T, 5)], T + timedelta(minutes=15)),
    # Newest first: the newest row completes the limit, so the lockout lasts 15 minutes from it.
    ([(T, 3), (T - timedelta(minutes=5), 3)], T - timedelta(minutes=5) + timedelta(minutes=15)),
    ([(T, 6), (T - timedelta(minutes=5), 3)], T + timedelta(minutes=15)),
])
def test_lockout_end(rows, end):
    assert lockout_end(rows, 5, timedelta(minutes=15)) == end


def test_the_admin_unlocks_an_account(clock, ana, bob, client):
    for _ in range(5):
        token_sign_in("ana", WRONG)
    token_sign_in("bob", WRONG)
    assert token_sign_in("ana", factories.PASSWORD).status_code == 429
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/auth/user/", {"action": "unlock_sign_in", "_selected_action": [ana.pk]},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Sign-in unlocked: 1 account, 1 failure record forgotten."]
    assert token_sign_in("ana", factories.PASSWORD).status_code == 200
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [("bob", 1)]


def test_the_admin_lists_failed_sign_ins(clock, ana, client):
    for _ in range(5):
        token_sign_in("ana", WRONG)
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list.values_list("username", "ip_address", "failures_since_start")) == [
        ("ana", "127.0.0.1", 5)]
