"""Recording accounts of breaks: one episode per break told by both partners, refusals, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from practice.breaks import operations
from practice.breaks.operations import BreakError
from practice.models import AuditEvent, BreakAccount, BreakEpisode

CALLED = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)


def tell(case, teller, **overrides):
    alex, sam = case.partners
    values = {
        "called_by": sam,
        "called_at": CALLED,
        "with_script": True,
        "flooding": True,
        "heart_rate": 112,
        "promised_return_at": CALLED + timedelta(minutes=30),
        "resumed_at": CALLED + timedelta(minutes=40),
        "resumed_by": alex,
        "with_invitation": True,
        "outcome": "calmer",
    }
    values.update(overrides)
    return operations.record_partner_account(case, teller, **values)


def test_both_partners_tell_one_break(app_context, db, case):
    alex, sam = case.partners
    first = tell(case, sam)
    # Alex remembers the break an hour and a half later and the return after an hour.
    second = tell(
        case,
        alex,
        called_at=CALLED + timedelta(minutes=90),
        promised_return_at=None,
        resumed_at=CALLED + timedelta(minutes=150),
        checkin_id=7,
    )
    assert first.id == second.id
    assert db.scalar(select(func.count()).select_from(BreakEpisode)) == 1
    accounts = db.scalars(select(BreakAccount).order_by(BreakAccount.id)).all()
    assert [a.told_by_id for a in accounts] == [sam.id, alex.id]
    assert [a.source for a in accounts] == ["counsellor", "checkin"]
    assert accounts[1].checkin_id == 7
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("break_account_recorded") == 2


def test_window_of_two_hours_both_sides(app_context, db, case):
    alex, sam = case.partners
    first = tell(case, sam)
    later = CALLED + timedelta(hours=2)
    at_edge = tell(case, alex, called_at=later, promised_return_at=None, resumed_at=later)
    assert at_edge.id == first.id
    beyond = tell(case, sam, called_at=CALLED - timedelta(hours=2, seconds=1))
    assert beyond.id != first.id
    other_caller = tell(case, sam, called_by=alex, called_at=CALLED)
    assert other_caller.id not in (first.id, beyond.id)


def test_a_second_telling_edits_the_partners_account(app_context, db, case):
    sam = case.partners[1]
    tell(case, sam, resumed_at=None, resumed_by=None, with_invitation=False, outcome=None)
    episode = tell(case, sam)
    (account,) = episode.accounts
    assert account.version == 2
    assert account.outcome == "calmer"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resumed_at": CALLED - timedelta(minutes=1)}, "resumed_at"),
        ({"outcome": None}, "outcome"),
        ({"resumed_at": None, "resumed_by": None, "with_invitation": False}, "resumed_at"),
        ({"heart_rate": 29}, "heart_rate"),
        ({"heart_rate": 251}, "heart_rate"),
        ({"called_at": datetime.now(UTC) + timedelta(hours=1)}, "called_at"),
        ({"promised_return_at": CALLED - timedelta(minutes=1)}, "promised_return_at"),
    ],
)
def test_refusals_change_nothing(app_context, db, case, overrides, field):
    sam = case.partners[1]
    before = db.scalar(select(func.count()).select_from(BreakAccount))
    with pytest.raises(BreakError) as raised:
        tell(case, sam, **overrides)
    assert field in raised.value.fields
    assert db.scalar(select(func.count()).select_from(BreakAccount)) == before


def test_partner_of_another_case_refused(app_context, db, case, make_case, counsellor):
    other = make_case(counsellor, partners=("Kim", "Lee"))
    with pytest.raises(BreakError):
        tell(case, other.partners[0])


def test_recording_signals_the_case_changed(app_context, db, case):
    from practice.core.signals import case_record_changed

    sent = []

    def receiver(sender, **kw):
        sent.append((sender, kw.get("what")))

    case_record_changed.connect(receiver)
    try:
        episode = tell(case, case.partners[1])
        operations.update_account(
            episode.accounts[0],
            operations.AccountData(
                called_by=case.partners[1],
                called_at=CALLED,
                with_script=False,
                flooding=False,
                heart_rate=None,
                promised_return_at=None,
                resumed_at=None,
                resumed_by=None,
                with_invitation=False,
                outcome=None,
            ),
        )
    finally:
        case_record_changed.disconnect(receiver)
    assert sent == [(case, "break"), (case, "break")]
