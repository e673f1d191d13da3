"""HTTP API of exams: list and create exams, show one, submit answers and list submissions."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from django.utils import timezone
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacherOrReadOnly
from school.api.query import validated_query
from school.classrooms.selectors import optional_member_classroom

from . import selectors, services
from .models import Exam, Question


class QuestionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    prompt = serializers.CharField(max_length=2000)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=20,
        help_text="Required for multiple_choice: at least 2 distinct options, one of them correct_answer.",
    )
    correct_answer = serializers.CharField(max_length=200)

    def validate(self, attrs):
        try:
            Question(**attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class ExamCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    language = serializers.CharField(max_length=10)
    questions = QuestionCreateSerializer(many=True, allow_empty=False, max_length=services.MAX_QUESTIONS,
                                         help_text="In order: the first is question 0.")


class ExamSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Exam
        fields = ["id", "title", "language", "owner", "question_count", "created_at"]
        read_only_fields = fields


class QuestionSerializer(serializers.Serializer):
    """A question as shown; ``correct_answer`` only to the exam's owner and staff."""

    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, read_only=True)
    prompt = serializers.CharField(read_only=True)
    choices = serializers.ListField(child=serializers.CharField(), read_only=True)
    correct_answer = serializers.CharField(required=False, help_text="Only for the exam's owner and staff.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_answers"):
            del data["correct_answer"]
        return data


class ExamDetailSerializer(ExamSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(ExamSerializer.Meta):
        fields = [*ExamSerializer.Meta.fields, "questions"]
        read_only_fields = fields


class ExamFilterSerializer(serializers.Serializer):
    language = serializers.CharField(required=False, max_length=10, help_text="Only exams in this language.")


class ExamListCreateApi(generics.ListAPIView):
    """Exams anyone signed in may take; teachers create them with their questions."""

    serializer_class = ExamSerializer
    permission_classes = [IsAuthenticated, IsTeacherOrReadOnly]

    def get_queryset(self):
        return selectors.exams(**validated_query(ExamFilterSerializer, self.request))

    @extend_schema(parameters=[ExamFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ExamCreateSerializer, responses={201: ExamDetailSerializer})
    def post(self, request):
        serializer = ExamCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam = services.create_exam(owner=request.user, **serializer.validated_data)
        exam = selectors.exam_with_questions(exam.pk)
        return Response(ExamDetailSerializer(exam, context={"show_answers": True}).data,
                        status=status.HTTP_201_CREATED)


class ExamDetailApi(APIView):
    """An exam and its questions; the correct answers only for its owner and staff."""

    @extend_schema(responses=ExamDetailSerializer)
    def get(self, request, pk):
        exam = selectors.exam_with_questions(pk)
        context = {"show_answers": selectors.manages_exam(request.user, exam)}
        return Response(ExamDetailSerializer(exam, context=context).data)


class AnswerSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    answer = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False,
                                   help_text="Multiple choice: the chosen option, exactly. Short text: the text.")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry its time zone offset: a client's clock has no server time zone."""

    default_error_messages = {"naive": "Must include a time zone offset (e.g. Z or +02:00)."}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class SubmissionCreateSerializer(serializers.Serializer):
    classroom_id = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="The classroom the exam is taken in; you must belong to it.")
    started_at = AwareDateTimeField(
        required=False, allow_null=True,
        help_text="When you opened the exam (ISO 8601 with an offset, your clock): the time from it to the "
                  "submission counts as time on task. At most LEARNING_EVENTS_MAX_FUTURE_SKEW_SECONDS after the "
                  "server's clock (a start after the submission counts as the submission's instant) and at most "
                  "LEARNING_EVENTS_MAX_SESSION_SECONDS before it.")
    answers = AnswerSerializer(many=True, max_length=services.MAX_QUESTIONS,
                               help_text="One answer to every question of the exam.")


class AnswerResultSerializer(serializers.Serializer):
    question_id = serializers.IntegerField(read_only=True)
    answer = serializers.CharField(read_only=True)
    correct = serializers.BooleanField(read_only=True)


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    exam_id = serializers.IntegerField(read_only=True)
    learner_id = serializers.IntegerField(read_only=True)
    learner = serializers.CharField(source="learner.username", read_only=True)
    classroom_id = serializers.IntegerField(read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(read_only=True)
    correct_count = serializers.IntegerField(read_only=True)
    question_count = serializers.IntegerField(read_only=True)
    score = serializers.FloatField(read_only=True, help_text="Share of questions answered right, 0..1.")
    started_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text="When the learner opened the exam; null when not sent.")
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True,
                                              help_text="Seconds from started_at to submitted_at; null when untimed.")
    results = AnswerResultSerializer(source="answers", many=True, read_only=True)


class ExamSubmissionListCreateApi(generics.ListAPIView):
    """Submit all answers to an exam at once and get them graded; list your submissions (owner: all)."""

    serializer_class = SubmissionSerializer

    def get_queryset(self):
        return selectors.submissions_for(self.request.user, selectors.exam_by_id(self.kwargs["pk"]))

    @extend_schema(request=SubmissionCreateSerializer, responses={201: SubmissionSerializer})
    def post(self, request, pk):
        exam = selectors.exam_with_questions(pk)
        serializer = SubmissionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        classroom = optional_member_classroom(request.user, serializer.validated_data.get("classroom_id"))
        submission = services.submit_exam(learner=request.user, exam=exam, classroom=classroom,
                                          answers=serializer.validated_data["answers"],
                                          started_at=serializer.validated_data.get("started_at"))
        return Response(SubmissionSerializer(selectors.submission_with_answers(submission.pk)).data,
                        status=status.HTTP_201_CREATED)
