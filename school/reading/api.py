"""HTTP API of reading: list and add stories and articles, show one, view it and complete it."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacherOrReadOnly
from school.api.query import validated_query
from school.classrooms.selectors import optional_member_classroom

from . import selectors, services
from .models import Content, Reading


class ContentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Content
        fields = ["id", "kind", "title", "language", "level", "created_at"]
        read_only_fields = ["id", "created_at"]


class ContentDetailSerializer(ContentSerializer):
    class Meta(ContentSerializer.Meta):
        fields = [*ContentSerializer.Meta.fields, "body"]


class ContentFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Content.Kind.choices, required=False)
    language = serializers.CharField(max_length=10, required=False)
    level = serializers.ChoiceField(choices=Content.Level.choices, required=False, help_text="CEFR level.")


class ContentListCreateApi(generics.ListAPIView):
    """Stories and articles (without their bodies); teachers add new ones."""

    serializer_class = ContentSerializer
    permission_classes = [IsAuthenticated, IsTeacherOrReadOnly]

    def get_queryset(self):
        return selectors.contents(**validated_query(ContentFilterSerializer, self.request))

    @extend_schema(parameters=[ContentFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ContentDetailSerializer, responses={201: ContentDetailSerializer})
    def post(self, request):
        serializer = ContentDetailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = services.create_content(**serializer.validated_data)
        return Response(ContentDetailSerializer(content).data, status=status.HTTP_201_CREATED)


class ContentDetailApi(APIView):
    """A story or article with its body."""

    @extend_schema(responses=ContentDetailSerializer)
    def get(self, request, pk):
        return Response(ContentDetailSerializer(selectors.content_by_id(pk)).data)


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reading
        fields = ["id", "content_id", "classroom_id", "viewed_at", "completed_at", "duration_seconds"]
        read_only_fields = fields


class StrictFloatField(serializers.FloatField):
    """A number; unlike DRF's FloatField, ``true`` and ``false`` are not numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ContentViewSerializer(serializers.Serializer):
    classroom_id = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="The classroom it is read in; you must belong to it.")


class ContentCompleteSerializer(ContentViewSerializer):
    duration_seconds = StrictFloatField(required=False, allow_null=True, min_value=0,
                                        max_value=services.MAX_READING_SECONDS,
                                        help_text="How long the learner read, in seconds.")
    reading_id = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="The reading to complete (from the view call); default: "
                                                    "your latest open reading of it, or a new one.")


class ContentViewApi(APIView):
    """Open a story or article: records a reading and logs ``content_view``."""

    @extend_schema(request=ContentViewSerializer, responses={201: ReadingSerializer})
    def post(self, request, pk):
        content = selectors.content_by_id(pk)
        serializer = ContentViewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        classroom = optional_member_classroom(request.user, serializer.validated_data.get("classroom_id"))
        reading = services.view_content(learner=request.user, content=content, classroom=classroom)
        return Response(ReadingSerializer(reading).data, status=status.HTTP_201_CREATED)


class ContentCompleteApi(APIView):
    """Finish a story or article: completes your reading of it (200) or a new one (201); logs ``content_complete``."""

    @extend_schema(request=ContentCompleteSerializer, responses={200: ReadingSerializer, 201: ReadingSerializer})
    def post(self, request, pk):
        content = selectors.content_by_id(pk)
        serializer = ContentCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        classroom = optional_member_classroom(request.user, data.get("classroom_id"))
        reading_id = data.get("reading_id")
        reading = selectors.reading_of(request.user, content, reading_id) if reading_id is not None else None
        reading, created = services.complete_content(
            learner=request.user, content=content, classroom=classroom, reading=reading,
            duration_seconds=data.get("duration_seconds"),
        )
        return Response(ReadingSerializer(reading).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
