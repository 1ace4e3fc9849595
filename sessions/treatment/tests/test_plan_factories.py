"""The plan and signed-visit builders write what the plan and report tests expect."""

from __future__ import annotations

import pytest

from sessions.tests.factories import make_plan, visits_of_a_plan


@pytest.mark.django_db
def test_a_signed_visit_is_written_then_signed(therapist):
    from clients.tests.factories import ClientFactory

    plan = make_plan(client=ClientFactory(), therapist=therapist)
    (visit,) = visits_of_a_plan(plan, count=1)
    assert visit.note.is_signed
    assert visit.note.techniques.get().minutes == 50
