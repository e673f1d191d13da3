"""The headers every answer carries: no framing (clickjacking), no MIME sniffing, the Content Security Policy."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "connect-src": "'self'", "object-src": "'none'", "base-uri": "'self'", "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response) -> dict:
    return dict(directive.split(" ", 1) for directive in response.headers["Content-Security-Policy"].split("; "))


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/v1/me/", "/api/schema/",
                                  "/dashboard/classrooms/999999/"])
def test_no_page_may_be_framed_or_sniffed_and_each_has_the_policy(path):
    response = Client().get(path)
    assert (response.headers["X-Frame-Options"], response.headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert policy_of(response) == POLICY


def test_an_inline_block_is_allowed_only_by_the_nonce_of_its_own_answer():
    first, second = (Client().get("/api/schema/swagger/") for _ in range(2))
    nonces = []
    for response in (first, second):
        nonce = policy_of(response)["style-src"].removeprefix("'self' 'nonce-").removesuffix("'")
        assert f'<style nonce="{nonce}">' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22  # 16 random bytes, base64
