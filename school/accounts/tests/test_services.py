import pytest
from django.core.exceptions import ValidationError

from school.accounts.models import LearnerProfile
from school.accounts.selectors import time_zones_of_users
from school.accounts.services import create_person

pytestmark = pytest.mark.django_db


def test_create_person_makes_a_profile_with_the_site_time_zone_by_default():
    user = create_person(username="bea", password="pw-123456789", display_name="Bea")
    assert (user.learner_profile.display_name, user.learner_profile.role, user.learner_profile.time_zone) == (
        "Bea", "learner", "UTC")
    assert user.check_password("pw-123456789")


def test_create_person_rejects_an_unknown_time_zone_and_keeps_nothing(django_user_model):
    with pytest.raises(ValidationError) as info:
        create_person(username="bea", password="pw-123456789", time_zone="Mars/Olympus")
    assert "time_zone" in info.value.message_dict
    assert not django_user_model.objects.filter(username="bea").exists()


def test_time_zones_of_users_maps_each_user_to_their_zone():
    a = create_person(username="a", password="pw-123456789", time_zone="Europe/Madrid")
    b = create_person(username="b", password="pw-123456789", role=LearnerProfile.Role.TEACHER,
                      time_zone="America/Lima")
    assert time_zones_of_users([a.pk, b.pk, 999999]) == {a.pk: "Europe/Madrid", b.pk: "America/Lima"}
