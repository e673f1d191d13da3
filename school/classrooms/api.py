"""HTTP API of classrooms: list and create, show, rename, join by code, members, assignments."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from school.api.permissions import IsTeacher, is_teacher

from . import selectors, services
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
