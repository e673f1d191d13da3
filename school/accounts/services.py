"""Writes about people: accounts, their API tokens and their sign-in lockouts."""

from datetime import datetime

from axes.utils import reset as reset_failed_sign_ins
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from .models import LearnerProfile

User = get_user_model()


@transaction.atomic
def create_person(*, username: str, password: str, display_name: str = "", email: str = "",
                  role: str = LearnerProfile.Role.LEARNER, time_zone: str | None = None):
    """Create a user with a profile; ``role`` is ``learner`` or ``teacher``."""
    user = User.objects.create_user(username=username, password=password, email=email)
    profile = LearnerProfile(user=user, display_name=display_name or username, role=role)
    if time_zone:
        profile.time_zone = time_zone
    profile.full_clean()
    profile.save()
    return user


def ensure_profile(user) -> LearnerProfile:
    """The user's profile, created with defaults for users made outside ``create_person`` (e.g. createsuperuser)."""
    profile, _ = LearnerProfile.objects.get_or_create(user=user, defaults={"display_name": user.get_username()})
    return profile


@transaction.atomic
def issue_token(*, user) -> tuple[str, datetime]:
    """A new API token for ``user`` and when it expires (``REST_KNOX["TOKEN_TTL"]`` from now).

    Only the token's SHA-512 digest is stored: the token itself is returned once, here. Each sign-in makes a
    token of its own (one per device or script); the user's expired tokens are deleted, and beyond
    ``API_TOKENS_PER_USER`` live tokens the oldest are revoked, so a client that signs in for every run cannot
    pile them up (knox reads all of a user's tokens on each request)."""
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lte=timezone.now()).delete()
    keep = settings.API_TOKENS_PER_USER - 1
    oldest = tokens.order_by("-created", "-digest").values_list("digest", flat=True)[keep:]
    AuthToken.objects.filter(digest__in=list(oldest)).delete()
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def revoke_token(token: AuthToken) -> None:
    """Sign out one device: ``token`` (a request's ``request.auth``) stops working at once."""
    token.delete()


def revoke_all_tokens(*, user) -> int:
    """Sign ``user`` out of the API everywhere: every token of theirs stops working. Returns how many went.
    Runs on every password change (``school.accounts.password_change``)."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def unlock_sign_in(*, user) -> int:
    """End a lockout of ``user``'s account now: the failed sign-ins recorded for its username are forgotten
    (from every address; they count towards those addresses' limits no more either). Returns how many
    attempt records went. An address locked by failures on other accounts stays locked (admin: Access attempts)."""
    return reset_failed_sign_ins(username=user.get_username())
