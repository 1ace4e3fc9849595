"""Reference data kept between requests is read again the moment any of it changes,
whichever way it changes, and never outlives a rolled-back change."""

from __future__ import annotations

import importlib
import re
import threading
from datetime import time

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Condition, ContraindicationRule, RuleAction
from clients.safety import condition_rules
from massageclinic.models import Location, Room
from massageclinic.reference import (
    Reference,
    active_locations,
    active_rooms,
    reference,
    registered_parts,
)
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.kept_reference import parts_read_after_a_change
from therapists.models import Modality, Therapist, Training, WorkingHours
from therapists.reference import (
    active_modalities,
    hours_by_therapist,
    therapists_by_id,
    trainings,
)
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db


def _version():
    return reference().version


def _location_names() -> list[str]:
    return [x.name for x in reference().get(active_locations)]


# --- every way of writing is seen ------------------------------------------------------


@pytest.fixture
def rows(db):
    """One of each kind of reference row, made before the version is read."""
    location = LocationFactory()
    room = RoomFactory(location=location)
    therapist = TherapistFactory()
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=0,
        starts_at=time(9),
        ends_at=time(17),
    )
    Training.objects.get_or_create(therapist=therapist, modality=modality("swedish"))
    return {"location": location, "room": room, "therapist": therapist}


WRITES = {
    "a location created": lambda rows: LocationFactory(),
    "locations updated in bulk": lambda rows: Location.objects.update(phone="555-0100"),
    "a room renamed": lambda rows: Room.objects.filter(pk=rows["room"].pk).update(
        name="Blue"
    ),
    "a room saved": lambda rows: rows["room"].save(),
    "a therapist made inactive": lambda rows: Therapist.objects.update(is_active=False),
    "hours added": lambda rows: WorkingHours.objects.create(
        therapist=rows["therapist"],
        location=rows["location"],
        weekday=1,
        starts_at=time(9),
        ends_at=time(12),
    ),
    "hours removed": lambda rows: WorkingHours.objects.all().delete(),
    "a training removed": lambda rows: Training.objects.all().delete(),
    "a technique withdrawn": lambda rows: Modality.objects.filter(
        slug="swedish"
    ).update(is_active=False),
    "a condition renamed": lambda rows: Condition.objects.filter(
        pk=Condition.objects.order_by("pk")[0].pk
    ).update(name="Renamed"),
    "a rule rewritten": lambda rows: ContraindicationRule.objects.update(headline="x"),
    "a therapist's user renamed": lambda rows: (
        get_user_model()
        .objects.filter(pk=rows["therapist"].user_id)
        .update(first_name="Ana")
    ),
    "raw SQL": lambda rows: connection.cursor().execute(
        "UPDATE clinic_location SET name = name || '.'"
    ),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_to_reference_data_gives_a_new_version(rows, write):
    before = _version()
    WRITES[write](rows)
    assert _version() != before


def test_a_sign_in_is_not_a_change_of_reference_data():
    user = UserFactory()
    before = _version()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert _version() == before


def test_other_writes_keep_the_version():
    from clients.tests.factories import ClientFactory

    before = _version()
    ClientFactory()
    UserFactory()  # in no part until a therapist row names it
    assert _version() == before


# --- a part is read once per version ---------------------------------------------------


def test_the_parts_are_read_once_then_kept(django_assert_num_queries):
    LocationFactory(name="Annex")
    # The version, then every part at once, the first time a version is met.
    with django_assert_num_queries(1 + parts_read_after_a_change()):
        assert "Annex" in _location_names()
    with django_assert_num_queries(1):  # the version only
        assert "Annex" in _location_names()


def test_a_change_is_seen_by_the_next_read(django_assert_num_queries):
    annex = LocationFactory(name="Annex")
    assert "Annex" in _location_names()
    Location.objects.filter(pk=annex.pk).update(name="Annex West")
    with django_assert_num_queries(1 + parts_read_after_a_change()):
        assert "Annex West" in _location_names()


def test_a_write_after_the_read_never_reaches_what_is_kept():
    """A caller holding a `Reference` that then changes reference data in its own
    transaction, and rolls back, leaves the process's copy as it was."""
    LocationFactory(name="Annex")
    ref = reference()
    with pytest.raises(RuntimeError), transaction.atomic():
        Location.objects.update(name="Never")
        assert "Never" not in [x.name for x in ref.get(active_locations)]
        raise RuntimeError
    assert "Never" not in _location_names()


def test_every_part_reads_only_tables_whose_writes_change_the_version():
    migration = importlib.import_module(
        "massageclinic.migrations.0010_reference_version"
    )
    watched = {*migration.TABLES, migration.USER_TABLE}
    for part in registered_parts():
        with CaptureQueriesContext(connection) as queries:
            part()
        read = {
            table
            for q in queries.captured_queries
            for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])
        }
        assert read, part.__name__
        assert read <= watched, (part.__name__, read - watched)


def test_a_rolled_back_change_is_never_served():
    LocationFactory(name="Annex")
    kept = _version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Location.objects.update(name="Never")
        assert set(_location_names()) == {"Never"}  # the change seen inside
        raise RuntimeError
    assert _version() == kept
    assert "Never" not in _location_names()
    # The next change gets a version of its own, never the rolled-back one's.
    LocationFactory(name="Later")
    assert "Never" not in _location_names()
    assert "Later" in _location_names()


def test_without_the_version_row_nothing_is_kept(django_assert_num_queries):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinic_reference_version")
    LocationFactory(name="Annex")  # a write puts the row back
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinic_reference_version")
    with django_assert_num_queries(2):  # the version, then the part asked for
        assert "Annex" in _location_names()
    with django_assert_num_queries(2):  # read again: no version to keep it under
        assert "Annex" in _location_names()


# --- the parts are what their queries say ----------------------------------------------


def _parts(ref: Reference) -> dict[str, object]:
    return {
        "locations": [x.pk for x in ref.get(active_locations)],
        "rooms": {k: [r.pk for r in v] for k, v in ref.get(active_rooms).items()},
        "therapists": [
            (t.pk, t.full_name, t.is_active) for t in ref.get(therapists_by_id).values()
        ],
        "hours": {
            k: [(b.pk, b.location_id, b.weekday, b.starts_at) for b in v]
            for k, v in ref.get(hours_by_therapist).items()
        },
        "trainings": ref.get(trainings),
        "modalities": [m.pk for m in ref.get(active_modalities)],
        "rules": {
            k: [(r.pk, r.headline) for r in v]
            for k, v in ref.get(condition_rules).items()
        },
    }


def _kept_parts() -> dict[str, object]:
    return _parts(reference())


def _fresh_parts() -> dict[str, object]:
    return _parts(Reference(None))  # read now, kept nowhere


def _step(kind: str, n: int) -> None:
    """One change; one the database refuses (a name taken, hours overlapping) is
    rolled back with its savepoint, as a refused save would be."""
    try:
        with transaction.atomic():
            _change(kind, n)
    except IntegrityError:
        pass


def _change(kind: str, n: int) -> None:
    locations = list(Location.objects.order_by("pk"))
    therapists = list(Therapist.objects.order_by("pk"))
    if kind == "location" or not locations:
        LocationFactory(name=f"Place {n}", is_active=n % 3 != 0)
    elif kind == "room":
        Room.objects.get_or_create(
            location=locations[n % len(locations)], name=f"Room {n % 4}"
        )
    elif kind == "close room":
        Room.objects.filter(pk__in=Room.objects.order_by("pk")[: n % 3]).update(
            is_active=False
        )
    elif kind == "therapist" or not therapists:
        TherapistFactory(is_active=n % 4 != 0)
    elif kind == "hours":
        WorkingHours.objects.get_or_create(
            therapist=therapists[n % len(therapists)],
            location=locations[n % len(locations)],
            weekday=n % 7,
            defaults={"starts_at": time(8 + n % 5), "ends_at": time(18)},
        )
    elif kind == "drop hours":
        WorkingHours.objects.filter(weekday=n % 7).delete()
    elif kind == "training":
        Training.objects.get_or_create(
            therapist=therapists[n % len(therapists)],
            modality=Modality.objects.order_by("pk")[n % 3],
        )
    elif kind == "technique":
        Modality.objects.filter(pk=Modality.objects.order_by("pk")[n % 5].pk).update(
            is_active=n % 2 == 0
        )
    elif kind == "rule":
        ContraindicationRule.objects.create(
            condition=Condition.objects.order_by("pk")[n % 4],
            action=RuleAction.AVOID_AREA,
            headline=f"rule {n}",
        )
    elif kind == "rename":
        therapist = therapists[n % len(therapists)]
        get_user_model().objects.filter(pk=therapist.user_id).update(
            first_name=f"Name{n}"
        )


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "location",
                "room",
                "close room",
                "therapist",
                "hours",
                "drop hours",
                "training",
                "technique",
                "rule",
                "rename",
            ]
        ),
        st.integers(min_value=0, max_value=50),
        st.booleans(),  # rolled back
        st.booleans(),  # read in between
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_what_is_kept_is_always_what_a_fresh_read_gives(steps):
    for kind, n, rolled_back, read in steps:
        if rolled_back:
            with pytest.raises(RuntimeError), transaction.atomic():
                _step(kind, n)
                assert _kept_parts() == _fresh_parts()
                raise RuntimeError
        else:
            _step(kind, n)
        if read:
            assert _kept_parts() == _fresh_parts()
    assert _kept_parts() == _fresh_parts()


# --- another connection's change ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_change_is_seen_by_others_once_committed_and_not_before():
    LocationFactory(name="Annex")
    assert "Annex" in _location_names()
    changed, committed = threading.Event(), threading.Event()

    def desk_elsewhere():
        try:
            with transaction.atomic():
                Location.objects.filter(name="Annex").update(name="Annex West")
                changed.set()
                committed.wait(timeout=10)
        finally:
            connection.close()

    other = threading.Thread(target=desk_elsewhere)
    other.start()
    assert changed.wait(timeout=10)
    assert "Annex" in _location_names()  # not committed yet: the old name stands
    committed.set()
    other.join(timeout=10)
    assert "Annex West" in _location_names()
    assert "Annex" not in _location_names()
