"""Directed moments (aimed at, answers, outcome) through the form, live mode, the API, the case
page and the clinical report; the rules are ``practice.moments.directed``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from practice.models import AuditEvent, Moment, MomentType
from practice.moments import interaction_reads
from practice.reports.report_interaction import interaction_report

pytest_plugins = ["tests.test_api_support"]


def type_id(db, key: str) -> int:
    return db.scalar(select(MomentType.id).where(MomentType.key == key))


def add(db, session, member, key, minute, partner=None, **directed) -> Moment:
    moment = Moment(
        session_id=session.id,
        moment_type_id=type_id(db, key),
        partner_id=partner.id if partner else None,
        minute=minute,
        intensity=3,
        context="",
        created_by_id=member.id,
        **directed,
    )
    db.add(moment)
    db.commit()
    return moment


@pytest.fixture
def session(make_session, case):
    return make_session(case, duration_minutes=50)


def form(db, **overrides) -> dict:
    data = {
        "moment_type_id": str(type_id(db, "repair_attempt")),
        "partner_id": "",
        "minute": "20",
        "intensity": "3",
        "context": "",
        "target_partner_id": "",
        "answers_moment_id": "",
        "outcome": "",
    }
    return {**data, **overrides}


# --- The tag form and the list -----------------------------------------------------------------


def test_a_directed_moment_is_added_and_listed(client, auth, db, counsellor, case, session):
    maya, tom = case.partners
    pursue = add(db, session, counsellor, "pursue", 12, maya)
    auth.login(counsellor)
    data = form(
        db,
        partner_id=str(tom.id),
        target_partner_id=str(maya.id),
        answers_moment_id=str(pursue.id),
        outcome="accepted",
    )
    response = auth.post(f"/sessions/{session.id}/moments", data, follow_redirects=True)
    assert response.status_code == 200
    moment = db.scalar(select(Moment).where(Moment.answers_moment_id == pursue.id))
    assert (moment.target_partner_id, moment.outcome) == (maya.id, "accepted")
    page = response.get_data(as_text=True)
    assert f"→ {maya.display_name}" in page
    assert "answers min 12 Pursue / protest" in page
    assert "Accepted" in page
    # One repair, accepted: 1 of 1.
    assert "1 of 1 accepted (100 %)" in page


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ("self_target", "target_partner_id", "cannot be aimed at the partner who made it"),
        ("other_case", "target_partner_id", "must be part of this case"),
        ("later", "answers_moment_id", "must come before this one"),
        ("removed", "answers_moment_id", "was removed"),
        ("other_session", "answers_moment_id", "must be a moment of this session"),
        ("outcome", "outcome", "accepted, rejected or missed"),
    ],
)
def test_bad_directed_input_is_refused_with_a_clear_message_and_nothing_added(
    client, auth, db, counsellor, case, session, make_case, make_session, change, field, words
):
    maya, tom = case.partners
    later = add(db, session, counsellor, "pursue", 30, maya)
    removed = add(db, session, counsellor, "pursue", 5, maya, voided_at=datetime.now(UTC))
    other = make_case(counsellor)
    elsewhere = add(db, make_session(other), counsellor, "pursue", 1)
    values = {
        "self_target": {"partner_id": str(tom.id), "target_partner_id": str(tom.id)},
        "other_case": {"target_partner_id": str(other.partners[0].id)},
        "later": {"answers_moment_id": str(later.id)},
        "removed": {"answers_moment_id": str(removed.id)},
        "other_session": {"answers_moment_id": str(elsewhere.id)},
        "outcome": {"outcome": "maybe"},
    }[change]
    before = db.scalar(select(func.count(Moment.id)))
    auth.login(counsellor)
    response = auth.post(f"/sessions/{session.id}/moments", form(db, **values))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert words in page
    assert db.scalar(select(func.count(Moment.id))) == before
    assert f'name="{field}"' in page


def test_an_answer_at_the_same_minute_may_answer_an_earlier_record_only(
    client, auth, db, counsellor, case, session
):
    # Two moments at minute 10: the second may answer the first, never the other way round.
    maya, tom = case.partners
    first = add(db, session, counsellor, "pursue", 10, maya)
    second = add(db, session, counsellor, "withdraw", 10, tom)
    auth.login(counsellor)
    data = form(db, moment_type_id=str(type_id(db, "pursue")), partner_id=str(maya.id))
    data.update(minute="10", answers_moment_id=str(second.id))
    refused = auth.post(f"/moments/{first.id}/edit", data)
    assert "must come before this one" in refused.get_data(as_text=True)
    data = form(db, moment_type_id=str(type_id(db, "withdraw")), partner_id=str(tom.id))
    data.update(minute="10", answers_moment_id=str(first.id))
    second_id, first_id = second.id, first.id
    assert auth.post(f"/moments/{second_id}/edit", data).status_code == 302
    assert db.scalar(select(Moment.answers_moment_id).where(Moment.id == second_id)) == first_id


# --- Live mode -------------------------------------------------------------------------------


@pytest.fixture
def live_session(make_session, case):
    started = datetime.now(UTC) - timedelta(minutes=20, seconds=10)
    return make_session(case, starts_at=started, duration_minutes=50)


def live_post(client, auth, session, what, payload):
    token = auth.csrf_token("/")
    return client.post(
        f"/sessions/{session.id}/live/{what}", json=payload, headers={"X-CSRFToken": token}
    )


def test_live_answer_links_the_last_moment_and_aims_at_its_partner(
    client, auth, db, counsellor, case, live_session
):
    maya, tom = case.partners
    auth.login(counsellor)
    first = live_post(
        client,
        auth,
        live_session,
        "tags",
        {"moment_type_id": type_id(db, "pursue"), "partner_id": maya.id},
    ).get_json()["moment"]
    answer = live_post(
        client,
        auth,
        live_session,
        "tags",
        {"moment_type_id": type_id(db, "withdraw"), "partner_id": tom.id, "answers_last": True},
    )
    assert answer.status_code == 201
    body = answer.get_json()["moment"]
    assert body["answers_moment_id"] == first["id"]
    assert (body["target_partner_id"], body["target"]) == (maya.id, maya.display_name)
    assert body["minute"] == 20


def test_live_answer_by_the_same_partner_is_aimed_at_no_one(
    client, auth, db, counsellor, case, live_session
):
    maya, _tom = case.partners
    auth.login(counsellor)
    payload = {"moment_type_id": type_id(db, "pursue"), "partner_id": maya.id}
    live_post(client, auth, live_session, "tags", payload)
    body = live_post(
        client, auth, live_session, "tags", {**payload, "answers_last": True}
    ).get_json()["moment"]
    assert body["answers_moment_id"] is not None and body["target_partner_id"] is None


def test_live_answer_without_a_moment_is_refused(client, auth, db, counsellor, live_session):
    auth.login(counsellor)
    payload = {"moment_type_id": type_id(db, "pursue"), "answers_last": True}
    response = live_post(client, auth, live_session, "tags", payload)
    assert response.status_code == 400
    assert "no moment yet to answer" in response.get_json()["error"]["message"]


def test_live_outcome_is_set_cleared_and_refused_when_unknown(
    client, auth, db, counsellor, case, live_session
):
    repair = add(db, live_session, counsellor, "repair_attempt", 3, case.partners[1])
    repair_id = repair.id

    def stored() -> str | None:
        return db.scalar(select(Moment.outcome).where(Moment.id == repair_id))

    auth.login(counsellor)
    set_it = live_post(
        client, auth, live_session, f"moments/{repair_id}/outcome", {"outcome": "missed"}
    )
    assert set_it.get_json()["moment"]["outcome"] == "missed"
    assert stored() == "missed"
    bad = live_post(client, auth, live_session, f"moments/{repair_id}/outcome", {"outcome": "x"})
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {
        "outcome": "The outcome is accepted, rejected or missed, or none."
    }
    assert stored() == "missed"
    cleared = live_post(
        client, auth, live_session, f"moments/{repair_id}/outcome", {"outcome": None}
    )
    assert cleared.get_json()["moment"]["outcome"] is None
    assert (
        db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "moment_updated"))
        == 2
    )


def test_live_outcome_of_another_sessions_moment_is_404(
    client, auth, db, counsellor, case, live_session, make_session
):
    other = add(db, make_session(case), counsellor, "repair_attempt", 3)
    auth.login(counsellor)
    response = live_post(
        client, auth, live_session, f"moments/{other.id}/outcome", {"outcome": "accepted"}
    )
    assert response.status_code == 404


def test_live_screen_shows_the_answer_key(client, auth, counsellor, live_session):
    auth.login(counsellor)
    page = client.get(f"/sessions/{live_session.id}/live").get_data(as_text=True)
    assert 'data-answer-key="."' in page
    assert "Next tap answers the last moment <kbd>.</kbd>" in page


# --- API ---------------------------------------------------------------------------------------


def test_api_takes_and_gives_the_directed_fields_and_the_metrics(db, practice, api_as):
    maya, tom = practice.case.partners
    api = api_as(practice.counsellor)
    url = f"/sessions/{practice.session.id}/moments"
    pursue = api.post(
        url, json={"moment_type_id": type_id(db, "pursue"), "partner_id": maya.id, "minute": 40}
    ).get_json()
    withdraw = api.post(
        url,
        json={
            "moment_type_id": type_id(db, "withdraw"),
            "partner_id": tom.id,
            "minute": 43,
            "target_partner_id": maya.id,
            "answers_moment_id": pursue["id"],
        },
    ).get_json()
    assert (withdraw["target_partner_id"], withdraw["answers_moment_id"]) == (maya.id, pursue["id"])
    refused = api.patch(f"/moments/{withdraw['id']}", json={"target_partner_id": tom.id})
    assert refused.status_code == 409
    assert "target_partner_id" in refused.get_json()["error"]["fields"]
    assert api.patch(f"/moments/{withdraw['id']}", json={"outcome": "rejected"}).status_code == 200
    figures = api.get(f"/sessions/{practice.session.id}/interaction").get_json()
    # The session's own pursue moments are by one partner or both (see the fixture); ours at 40
    # is met by Tom's withdraw at 43: exactly 3 minutes, so coupled.
    assert figures["pursue"] >= 1 and figures["coupled"] >= 1
    assert figures["coupling_index"] == figures["coupled"] / figures["pursue"]


# --- Case page and report ----------------------------------------------------------------------


def _course(db, make_session, case, counsellor):
    """Two sessions: the first coupled 2 of 2 with one repair rejected, the second coupled 0 of 2
    with two repairs accepted and one antidote without horsemen."""
    maya, tom = case.partners
    one = make_session(case, starts_at=datetime(2026, 2, 3, 15, tzinfo=UTC))
    two = make_session(case, starts_at=datetime(2026, 2, 10, 15, tzinfo=UTC))
    add(db, one, counsellor, "pursue", 5, maya)
    add(db, one, counsellor, "withdraw", 8, tom)  # 3 after: coupled
    add(db, one, counsellor, "pursue", 20, maya)
    add(db, one, counsellor, "withdraw", 18, tom)  # 2 before: coupled
    add(db, one, counsellor, "repair_attempt", 25, tom, outcome="rejected")
    add(db, one, counsellor, "criticism", 26, maya)
    add(db, two, counsellor, "pursue", 5, maya)
    add(db, two, counsellor, "withdraw", 9, tom)  # 4 after: not coupled
    add(db, two, counsellor, "pursue", 30, maya)
    add(db, two, counsellor, "repair_attempt", 31, tom, outcome="accepted")
    add(db, two, counsellor, "repair_attempt", 33, maya, outcome="accepted")
    add(db, two, counsellor, "repair_attempt", 35, maya)
    add(db, two, counsellor, "appreciation", 36, tom)
    return one, two


def test_case_trend_of_a_hand_built_course(app_context, db, make_session, case, counsellor):
    _course(db, make_session, case, counsellor)
    found = interaction_reads.case_trend_rows(case.id)
    # Coupling 2/2 = 100 % then 0/2 = 0 %: falling. Repairs 0/1 = 0 % then 2/2 = 100 %.
    # Antidotes 0 : 1 = 0 then 1 with no horsemen (undefined): no trend from one value.
    assert [r["coupling"] for r in found["rows"]] == ["2/2 (100 %)", "0/2 (0 %)"]
    assert [r["repair"] for r in found["rows"]] == ["0/1 (0 %)", "2/2 (100 %) · 1 none"]
    assert [r["antidote"] for r in found["rows"]] == ["0 : 1", "1 : 0"]
    assert found["coupling_trend"] == "100 % → 0 %, falling over 2 sessions"
    assert found["repair_trend"] == "0 % → 100 %, rising over 2 sessions"
    assert found["antidote_trend"] == "—"


def test_case_page_shows_the_section(client, auth, db, make_session, case, counsellor):
    _course(db, make_session, case, counsellor)
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Interaction: the dance, repairs and antidotes" in page
    assert "100 % → 0 %, falling over 2 sessions (de-coupling)" in page


def test_clinical_report_section_covers_the_period(app_context, db, make_session, case, counsellor):
    _course(db, make_session, case, counsellor)
    report = interaction_report(case, date(2026, 2, 5), date(2026, 2, 28), UTC)
    # Only the second session (10 Feb) is in the period.
    assert [r["date"] for r in report["rows"]] == ["10 Feb 2026"]
    assert report["coupling_trend"] == "—"
    assert interaction_report(case, date(2026, 3, 1), date(2026, 3, 31), UTC)["rows"] == []


def test_only_the_clinical_report_has_the_section(app_context, db, make_session, case, counsellor):
    from practice.reports import progress_report

    _course(db, make_session, case, counsellor)
    period = (date(2026, 2, 1), date(2026, 2, 28))

    def context(audience: str) -> dict:
        return progress_report.report_context(case, *period, audience, "", counsellor)

    clinical = context("clinical")
    # Both sessions: coupling 100 % then 0 % (one each side: span 1).
    assert (
        clinical["interaction"]["coupling_trend"]
        == "100\u00a0% → 0\u00a0%, falling over 2 sessions"
    )
    html = progress_report.build_report_html(clinical)
    assert "Interaction: the dance, repairs and antidotes" in html
    for audience in ("client", "referrer"):
        assert context(audience)["interaction"] is None
