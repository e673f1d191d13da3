"""Query-string parameters of list endpoints, validated like a body."""

from rest_framework import serializers
from rest_framework.request import Request


def validated_query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """``request``'s query parameters validated by ``serializer_class``; a 400 with field errors when bad."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
