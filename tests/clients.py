"""API clients for the pipeline's HTTP tests."""

from knox.models import AuthToken
from rest_framework.test import APIClient


def client_for(user=None) -> APIClient:
    """An API client authenticated with ``user``'s token; anonymous when ``user`` is None."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client
