"""HTTP API of people: a token for a username and password, signing out, and who am I.

Tokens are django-rest-knox's: stored as digests, expiring, one per sign-in (docs/security.md, "Accounts and
tokens"). Sign-in failures are throttled per account and per address (``school.accounts.lockout``).
"""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.parsers import JSONParser

from . import services
from .lockout import SignInLocked, SignInLockout


class SignInSerializer(serializers.Serializer):
    """Checks a username and password through ``authenticate()`` with the request, so that django-axes counts
    a failure against the account and the address."""

    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        user = authenticate(request=self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError("Unable to log in with provided credentials.", code="authorization")
        return {"user": user}


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. Shown only once.")
    expires = serializers.DateTimeField(help_text="When the token stops working; sign in again then.")


class TokenCreateApi(APIView):
    """``POST {username, password}`` → ``{token, expires}``; send the token as ``Authorization: Token <token>``.

    After ``LOGIN_FAILURES_PER_ACCOUNT`` failed sign-ins to an account, or ``LOGIN_FAILURES_PER_ADDRESS`` from an
    address, further attempts are answered 429 with ``Retry-After`` until the lockout ends."""

    permission_classes = [AllowAny]
    throttle_classes = [SignInLockout]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=SignInSerializer, responses=TokenSerializer)
    def post(self, request):
        serializer = SignInSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, expires = services.issue_token(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)  # last_login, as the login page
        return Response(TokenSerializer({"token": token, "expires": expires}).data)

    def throttled(self, request, wait):
        raise SignInLocked(wait)


class LogoutApi(APIView):
    """Sign this device out: the token the request is signed with stops working (204)."""

    authentication_classes = [TokenAuthentication]  # there is a token to revoke only when signed in with one

    @extend_schema(request=None, responses={status.HTTP_204_NO_CONTENT: None})
    def post(self, request):
        services.revoke_token(request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """Sign out of the API everywhere: every token of the signed-in person stops working (204)."""

    @extend_schema(request=None, responses={status.HTTP_204_NO_CONTENT: None})
    def post(self, request):
        services.revoke_all_tokens(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    time_zone = serializers.CharField()


class MeApi(APIView):
    """The signed-in person."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        profile = services.ensure_profile(request.user)
        return Response(MeSerializer({
            "id": request.user.pk, "username": request.user.get_username(),
            "display_name": profile.display_name, "role": profile.role, "time_zone": profile.time_zone,
        }).data)
