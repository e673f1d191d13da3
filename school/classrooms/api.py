"""HTTP API of classrooms: list and create, show, rename, join by code, members, assignments and their
progress, a learner's own assignments."""

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from learning_events.replica import reads_from_replica
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacher, is_teacher

from . import progress, selectors, services
from .models import Assignment, Classroom, Membership


class ClassroomSerializer(serializers.ModelSerializer):
    teacher = serializers.CharField(source="teacher.username", read_only=True)
    join_code = serializers.SerializerMethodField()

    class Meta:
        model = Classroom
        fields = ["id", "name", "language", "teacher", "join_code", "created_at"]
        read_only_fields = ["id", "teacher", "join_code", "created_at"]

    def get_join_code(self, obj) -> str | None:
        """Only the teacher (and staff) see the code that lets people in."""
        user = self.context["request"].user
        return obj.join_code if (user.is_staff or obj.teacher_id == user.pk) else None


class ClassroomListCreateApi(generics.ListCreateAPIView):
    """Classrooms you teach or belong to; teachers create new ones."""

    serializer_class = ClassroomSerializer

    def get_queryset(self):
        return selectors.visible_classrooms(self.request.user)

    def create(self, request, *args, **kwargs):
        if not is_teacher(request.user):
            return Response({"detail": "Only teachers can create classrooms."}, status=status.HTTP_403_FORBIDDEN)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        classroom = services.create_classroom(teacher=request.user, **serializer.validated_data)
        return Response(self.get_serializer(classroom).data, status=status.HTTP_201_CREATED)


class ClassroomDetailApi(generics.RetrieveUpdateAPIView):
    """A classroom: its members and teacher see it; its teacher renames it."""

    serializer_class = ClassroomSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        if self.request.method == "GET" or self.request.method == "HEAD":
            return selectors.classroom_for_viewer(self.request.user, self.kwargs["pk"])
        return selectors.classroom_for_teacher(self.request.user, self.kwargs["pk"])


class JoinSerializer(serializers.Serializer):
    join_code = serializers.CharField(max_length=20)


class MembershipSerializer(serializers.ModelSerializer):
    student_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="student.username", read_only=True)
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "classroom", "student_id", "username", "display_name", "joined_at"]

    def get_display_name(self, obj) -> str:
        profile = getattr(obj.student, "learner_profile", None)
        return profile.display_name if profile else obj.student.get_username()


class ClassroomJoinApi(APIView):
    """Join a classroom with the code its teacher gave you."""

    @extend_schema(request=JoinSerializer, responses={201: MembershipSerializer})
    def post(self, request):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.join_classroom(student=request.user, **serializer.validated_data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class ClassroomMemberListApi(generics.ListAPIView):
    """The classroom's learners; its teacher only."""

    serializer_class = MembershipSerializer
    permission_classes = [IsTeacher]

    def get_queryset(self):
        classroom = selectors.classroom_for_teacher(self.request.user, self.kwargs["pk"])
        return selectors.memberships_of(classroom)


class AssignmentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "classroom", "title", "due_date", "kind", "word_list", "exam", "content", "game",
                  "created_at"]
        read_only_fields = ["id", "classroom", "kind", "created_at"]

    def validate(self, attrs):
        chosen = [name for name in Assignment.TARGETS if attrs.get(name)]
        if len(chosen) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Set exactly one of: word_list, exam, content, game."]})
        return attrs


class ClassroomAssignmentListCreateApi(generics.ListCreateAPIView):
    """The classroom's assignments: members and teacher read; the teacher assigns."""

    serializer_class = AssignmentSerializer

    def get_classroom(self):
        if self.request.method == "POST":
            return selectors.classroom_for_teacher(self.request.user, self.kwargs["pk"])
        return selectors.classroom_for_viewer(self.request.user, self.kwargs["pk"])

    def get_queryset(self):
        return selectors.assignments_of(self.get_classroom())

    def create(self, request, *args, **kwargs):
        classroom = self.get_classroom()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.create_assignment(classroom=classroom, **serializer.validated_data)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)


class LearnerProgressSerializer(serializers.Serializer):
    """A learner's progress on one assignment (``progress.Progress``); the fields of a row of either list."""

    status = serializers.ChoiceField(choices=progress.STATUSES)
    started_at = serializers.DateTimeField(allow_null=True, help_text="First counted activity on it.")
    done_at = serializers.DateTimeField(allow_null=True, help_text="When the rule of its kind was first met.")
    overdue = serializers.BooleanField(help_text="Not done, and the due date has passed in the learner's time zone.")
    words_answered = serializers.IntegerField(allow_null=True, help_text="Word lists: distinct words answered.")
    words_total = serializers.IntegerField(allow_null=True, help_text="Word lists: words in the list.")


class ProgressRowSerializer(LearnerProgressSerializer):
    """A learner's row in an assignment's progress: who (username tells equal display names apart), then how far."""

    learner_id = serializers.IntegerField(source="learner.id")
    username = serializers.CharField(source="learner.username")
    display_name = serializers.CharField(source="learner.display_name")
    name = serializers.CharField(source="learner.name", help_text=(
        "The name to show: the display name, with the username beside one another learner of the classroom shares."))


class StatusCountsSerializer(serializers.Serializer):
    not_started = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()


class AssignmentProgressSerializer(serializers.Serializer):
    assignment = AssignmentSerializer()
    counts = StatusCountsSerializer(help_text="Learners per status.")
    overdue = serializers.IntegerField(help_text="Learners for whom it is overdue.")
    learners = ProgressRowSerializer(many=True, help_text="Every current learner, by display name then username.")


@method_decorator(reads_from_replica, name="get")
class ClassroomAssignmentProgressApi(generics.ListAPIView):
    """Each assignment of the classroom with every learner's progress (docs/assignments.md has the rules);
    its teacher and staff only."""

    serializer_class = AssignmentProgressSerializer

    def get_queryset(self):
        return progress.classroom_assignments(selectors.classroom_for_teacher(self.request.user, self.kwargs["pk"]))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(progress.assignment_progress(page), many=True).data)


class MyAssignmentSerializer(serializers.Serializer):
    assignment = AssignmentSerializer()
    classroom_name = serializers.CharField(source="assignment.classroom.name")
    progress = LearnerProgressSerializer()


@method_decorator(reads_from_replica, name="get")
class MyAssignmentListApi(generics.ListAPIView):
    """The signed-in person's assignments in every classroom they belong to, with their own progress."""

    serializer_class = MyAssignmentSerializer

    def get_queryset(self):
        return progress.learner_assignments(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            self.get_serializer(progress.learner_progress(request.user, page), many=True).data)
