"""HTTP API of people: a token for a username and password, and who am I."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.parsers import JSONParser

from .services import ensure_profile


class TokenCreateApi(ObtainAuthToken):
    """``POST {username, password}`` → ``{token}``; send it as ``Authorization: Token <token>``."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]  # ObtainAuthToken names DRF's JSON parser

    @extend_schema(
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                   "password": serializers.CharField()}),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


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
        profile = ensure_profile(request.user)
        return Response(MeSerializer({
            "id": request.user.pk, "username": request.user.get_username(),
            "display_name": profile.display_name, "role": profile.role, "time_zone": profile.time_zone,
        }).data)
