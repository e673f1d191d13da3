"""HTTP API of vocabulary: words, word lists, and flashcard practice sessions.

Practice sessions are addressed by their UUID and visible only to their learner; the server grades
every answer, so the words a session hands out carry no translations.
"""

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from learning_events.replica import reads_from_replica
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacherOrReadOnly
from school.api.query import validated_query
from school.classrooms.selectors import optional_member_classroom

from . import selectors, services
from .models import PracticeSession, Word, WordList

MAX_ID = 2**63 - 1  # ids beyond a bigint are refused as bad input, never sent to the database
MAX_RESPONSE_MS = 2**31 - 1  # PracticeAnswer.response_ms is a PositiveIntegerField

language_field_kwargs = {
    "regex": r"^[a-z]{2}$",
    "max_length": 10,
    "error_messages": {"invalid": 'Use a two-letter ISO 639-1 code in lower case, e.g. "es".'},
}


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- words ----------------------------------------------------------------------------------------


class WordSerializer(serializers.ModelSerializer):
    language = serializers.RegexField(**language_field_kwargs)

    class Meta:
        model = Word
        fields = ["id", "text", "translation", "language", "example_sentence"]
        read_only_fields = ["id"]


class LanguageFilterSerializer(serializers.Serializer):
    """The query of a list by language: checked like any input (a NUL byte never reaches the database)."""

    language = serializers.CharField(required=False, allow_blank=True, max_length=10,
                                     help_text="Only this language (ISO 639-1 code).")


class WordFilterSerializer(LanguageFilterSerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Only words whose text or translation contains this (any case).")


@extend_schema_view(get=extend_schema(parameters=[WordFilterSerializer]))
class WordCollectionApi(generics.ListCreateAPIView):
    """Words, filtered by ``?language=`` and searched with ``?q=``; teachers add new ones."""

    serializer_class = WordSerializer
    permission_classes = [IsAuthenticated, IsTeacherOrReadOnly]

    def get_queryset(self):
        return selectors.words(**validated_query(WordFilterSerializer, self.request))

    def perform_create(self, serializer):
        serializer.instance = services.create_word(**serializer.validated_data)


class WordDetailApi(generics.RetrieveAPIView):
    """One word."""

    serializer_class = WordSerializer
    queryset = Word.objects.all()


# --- word lists -----------------------------------------------------------------------------------


class WordListSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                         help_text="Username of the teacher who owns it; null for shared lists.")
    word_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = WordList
        fields = ["id", "name", "language", "owner", "word_count", "created_at"]


class WordListDetailSerializer(WordListSerializer):
    words = WordSerializer(many=True, read_only=True)

    class Meta(WordListSerializer.Meta):
        fields = [*WordListSerializer.Meta.fields, "words"]


class WordListWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    language = serializers.RegexField(**language_field_kwargs)
    word_ids = serializers.ListField(child=id_field(), required=False, max_length=1000,
                                     help_text="The list's words (all of its language). On PATCH: replaces them.")


class WordIdsSerializer(serializers.Serializer):
    word_ids = serializers.ListField(child=id_field(), allow_empty=False, max_length=1000)


@extend_schema_view(
    get=extend_schema(parameters=[LanguageFilterSerializer]),
    post=extend_schema(request=WordListWriteSerializer, responses={201: WordListDetailSerializer}),
)
class WordListCollectionApi(generics.ListCreateAPIView):
    """Word lists, filtered by ``?language=``; teachers create new ones, which they then own."""

    serializer_class = WordListSerializer
    permission_classes = [IsAuthenticated, IsTeacherOrReadOnly]

    def get_queryset(self):
        return selectors.word_lists(**validated_query(LanguageFilterSerializer, self.request))

    def create(self, request, *args, **kwargs):
        serializer = WordListWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        word_list = services.create_word_list(owner=request.user, **serializer.validated_data)
        return Response(WordListDetailSerializer(selectors.word_list_detail(word_list.pk)).data,
                        status=status.HTTP_201_CREATED)


class WordListDetailApi(APIView):
    """A word list with its words; its owner (or staff) renames it or changes its words."""

    @extend_schema(responses=WordListDetailSerializer)
    def get(self, request, pk):
        return Response(WordListDetailSerializer(selectors.word_list_detail(pk)).data)

    @extend_schema(request=WordListWriteSerializer, responses=WordListDetailSerializer)
    def patch(self, request, pk):
        word_list = selectors.word_list_for_owner(request.user, pk)
        serializer = WordListWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_word_list(word_list=word_list, **serializer.validated_data)
        return Response(WordListDetailSerializer(selectors.word_list_detail(pk)).data)


class WordListWordsAddApi(APIView):
    """Add words to a word list; its owner (or staff) only."""

    @extend_schema(request=WordIdsSerializer, responses=WordListDetailSerializer)
    def post(self, request, pk):
        word_list = selectors.word_list_for_owner(request.user, pk)
        serializer = WordIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.add_words(word_list=word_list, **serializer.validated_data)
        return Response(WordListDetailSerializer(selectors.word_list_detail(pk)).data)


# --- practice sessions ----------------------------------------------------------------------------


class PracticeWordSerializer(serializers.ModelSerializer):
    """A flashcard's front: the word, never its translation."""

    class Meta:
        model = Word
        fields = ["id", "text"]


class PracticeWordListSerializer(serializers.ModelSerializer):
    class Meta:
        model = WordList
        fields = ["id", "name", "language"]


class PracticeSummarySerializer(serializers.Serializer):
    answers = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="correct / answers; null before any answer.")


class PracticeSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    mode = serializers.ChoiceField(choices=PracticeSession.Mode.choices)
    word_list = PracticeWordListSerializer(allow_null=True, help_text="Null in review mode.")
    classroom = serializers.IntegerField(source="classroom_id", allow_null=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    words = PracticeWordSerializer(many=True, help_text="The words to practise (no translations).")
    summary = PracticeSummarySerializer()


class PracticeEndSerializer(PracticeSummarySerializer):
    id = serializers.UUIDField(source="uuid")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()


def session_data(session: PracticeSession) -> dict:
    """A session as the API shows it: its list, classroom, times, words to practise and summary."""
    return PracticeSessionSerializer({
        "uuid": session.uuid, "mode": session.mode, "word_list": session.word_list, "classroom_id": session.classroom_id,
        "started_at": session.started_at, "ended_at": session.ended_at,
        "words": selectors.practice_words(session), "summary": selectors.practice_summary(session),
    }).data


class PracticeStartSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(
        choices=PracticeSession.Mode.choices, default=PracticeSession.Mode.LIST,
        help_text="list (default): a word list's words; review: your words due for review, lowest predicted "
                  "recall first.")
    word_list_id = serializers.PrimaryKeyRelatedField(
        queryset=WordList.objects.all(), required=False,
        help_text="The word list to practise (mode list only).",
        error_messages={"does_not_exist": "No word list has id {pk_value}.",
                        "incorrect_type": "Expected a word list id (an integer), got {data_type}."},
    )
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100,
                                     help_text="Mode review: at most this many words (default 20).")
    classroom_id = id_field(required=False, allow_null=True, default=None,
                            help_text="The classroom the practice happens in; you must belong to it.")

    def validate(self, attrs):
        if attrs["mode"] == PracticeSession.Mode.LIST and "word_list_id" not in attrs:
            raise serializers.ValidationError({"word_list_id": ["This field is required."]})
        if attrs["mode"] == PracticeSession.Mode.REVIEW and "word_list_id" in attrs:
            raise serializers.ValidationError(
                {"word_list_id": ["A review practises your due words, not a word list: leave it out."]})
        return attrs


class PracticeAnswerSerializer(serializers.Serializer):
    word_id = id_field()
    answer = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    response_ms = serializers.IntegerField(min_value=0, max_value=MAX_RESPONSE_MS, required=False,
                                           allow_null=True, help_text="How long the learner took, in ms.")


class GradedAnswerSerializer(serializers.Serializer):
    word_id = serializers.IntegerField()
    correct = serializers.BooleanField()
    expected = serializers.CharField(help_text="The word's translation.")


class PracticeSessionStartApi(APIView):
    """Start practising a word list, or reviewing your due words (mode review), optionally inside a classroom
    you belong to."""

    @extend_schema(request=PracticeStartSerializer, responses={201: PracticeSessionSerializer})
    def post(self, request):
        serializer = PracticeStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        classroom = optional_member_classroom(request.user, data["classroom_id"])
        if data["mode"] == PracticeSession.Mode.REVIEW:
            session = services.start_review(learner=request.user, classroom=classroom, limit=data["limit"])
        else:
            session = services.start_practice(learner=request.user, word_list=data["word_list_id"],
                                              classroom=classroom)
        return Response(session_data(session), status=status.HTTP_201_CREATED)


class PracticeSessionDetailApi(APIView):
    """One of your practice sessions: its words and how it is going."""

    @extend_schema(responses=PracticeSessionSerializer)
    @method_decorator(reads_from_replica)  # its learner's own reads after an answer stay on the primary
    def get(self, request, session_id):
        return Response(session_data(selectors.practice_session_of(request.user, session_id)))


class PracticeAnswerCreateApi(APIView):
    """Answer one flashcard of your open session; the server grades it."""

    @extend_schema(request=PracticeAnswerSerializer, responses={201: GradedAnswerSerializer})
    def post(self, request, session_id):
        session = selectors.practice_session_of(request.user, session_id)
        serializer = PracticeAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        graded = services.answer_flashcard(session=session, **serializer.validated_data)
        return Response(GradedAnswerSerializer(graded).data, status=status.HTTP_201_CREATED)


class PracticeSessionEndApi(APIView):
    """End your open practice session and get its summary."""

    @extend_schema(request=None, responses=PracticeEndSerializer)
    def post(self, request, session_id):
        session = services.end_practice(session=selectors.practice_session_of(request.user, session_id))
        return Response(PracticeEndSerializer({"uuid": session.uuid, "started_at": session.started_at,
                                               "ended_at": session.ended_at,
                                               **selectors.practice_summary(session)}).data)
