import pytest

from school import factories
from school.classrooms.selectors import member_names

pytestmark = pytest.mark.django_db


def test_learners_sharing_a_display_name_are_told_apart_by_username():
    classroom = factories.ClassroomFactory()
    people = [factories.UserFactory(username=username, profile__display_name=name) for username, name in [
        ("ana.o", "Ana Ortiz"), ("ana.ortiz2", "ana  ortiz"), ("bruno", "Bruno Díaz"), ("carla", "carla")]]
    for person in people:
        factories.MembershipFactory(classroom=classroom, student=person)
    # Only in another classroom: does not make Bruno's name ambiguous here.
    factories.MembershipFactory(student=factories.UserFactory(username="bruno2", profile__display_name="Bruno Díaz"))

    assert list(member_names(classroom.pk).items()) == [
        (people[0].pk, "Ana Ortiz (ana.o)"),
        (people[1].pk, "ana  ortiz (ana.ortiz2)"),
        (people[2].pk, "Bruno Díaz"),
        (people[3].pk, "carla"),
    ]


def test_a_name_that_is_a_username_is_not_repeated():
    classroom = factories.ClassroomFactory()
    named = factories.UserFactory(username="zoe.k", profile__display_name="zoe")
    bare = factories.UserFactory(username="zoe", profile__display_name="")
    for person in (named, bare):
        factories.MembershipFactory(classroom=classroom, student=person)
    assert member_names(classroom.pk) == {named.pk: "zoe (zoe.k)", bare.pk: "zoe"}
