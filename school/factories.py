"""factory_boy factories of the platform's models, shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from school.accounts.models import LearnerProfile
from school.classrooms.models import Classroom, Membership
from school.exams.models import Exam, Question
from school.games.models import Game
from school.reading.models import Content
from school.vocabulary.models import Word, WordList

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    profile = factory.RelatedFactory(
        "school.factories.LearnerProfileFactory", factory_related_name="user",
        display_name=factory.SelfAttribute("..username"),
    )

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class LearnerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnerProfile
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory, profile=None)
    display_name = factory.Faker("name")
    role = LearnerProfile.Role.LEARNER
    time_zone = "UTC"


class TeacherFactory(UserFactory):
    profile = factory.RelatedFactory(
        LearnerProfileFactory, factory_related_name="user", role=LearnerProfile.Role.TEACHER,
        display_name=factory.SelfAttribute("..username"),
    )


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom

    name = factory.Sequence(lambda n: f"Class {n}")
    teacher = factory.SubFactory(TeacherFactory)
    language = "es"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    classroom = factory.SubFactory(ClassroomFactory)
    student = factory.SubFactory(UserFactory)


class WordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Word

    text = factory.Sequence(lambda n: f"palabra{n}")
    translation = factory.Sequence(lambda n: f"word{n}")
    language = "es"


class WordListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WordList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"List {n}")
    language = "es"

    @factory.post_generation
    def words(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.words.set(extracted)


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    title = factory.Sequence(lambda n: f"Exam {n}")
    language = "es"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    exam = factory.SubFactory(ExamFactory)
    position = factory.Sequence(lambda n: n)
    kind = Question.Kind.MULTIPLE_CHOICE
    prompt = factory.Sequence(lambda n: f"Question {n}?")
    choices = ["perro", "gato", "casa"]
    correct_answer = "gato"


class ContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Content

    kind = Content.Kind.STORY
    title = factory.Sequence(lambda n: f"Story {n}")
    body = "Había una vez un gato."
    language = "es"
    level = Content.Level.A1


class GameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Game

    title = factory.Sequence(lambda n: f"Game {n}")
    word_list = factory.SubFactory(WordListFactory)
