"""One EFT stage: a new session starts at the case's stage, and the case's stage follows its
latest standing session that records one (``eft.CASE_STAGE_RULE``), on the pages and the API,
so that the case header and the dashboard show the same stage as the sessions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from practice.cases import eft
from practice.models import AuditEvent, Case, Role, TherapySession
from tests.test_api_support import issue_token

# --- The rule, on its own ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "kept", "expected"),
    [
        ([], 2, 2),  # no session: the case keeps the stage set on the case page
        ([None, None], None, None),
        ([None, None], 1, 1),  # sessions that record no stage leave the case's as it is
        ([1, 2, None], 1, 2),  # the latest session that records one, not the latest session
        ([2, 1], 2, 1),  # a later session back at stage 1 takes the case back
        ([1, None, 3], 1, 3),
    ],
)
def test_the_case_stage_is_the_last_recorded_stage_of_its_sessions(stages, kept, expected):
    assert eft.current_stage(stages, kept) == expected


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def counsellor(make_staff, supervisor):
    return make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Robin Counsellor")


@pytest.fixture
def case(make_case, counsellor):
    return make_case(counsellor, opened_on=date(2026, 1, 5), eft_stage=1, reference="C-0301")


def _form(case: Case, starts_at: str, stage: str) -> dict:
    return {
        "starts_at": starts_at,
        "duration_minutes": "50",
        "modality": "in_person",
        "attendance": [str(p.id) for p in case.partners],
        "eft_stage": stage,
        # The stage gate (practice.eft.gates): these cases have no change events confirmed.
        "stage_reason": "Assessed before the events were recorded.",
    }


def _version_in(page: str) -> int:
    match = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', page)
    assert match
    return int(match.group(1))


def _case_stage(db, case: Case) -> int | None:
    db.expire_all()
    return db.get(Case, case.id).eft_stage


def _header_stage(client, case: Case) -> str:
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    match = re.search(r"EFT stage: (?:<span[^>]*>)?([^<]+)", page)
    assert match
    return match.group(1).strip()


def _dashboard_stage(client, case: Case) -> str:
    page = client.get("/supervision").get_data(as_text=True)
    for row in page.split("<tr")[1:]:
        if f">{case.reference}</a>" in row:
            match = re.search(r'data-label="EFT stage">([^<]*)</td>', row)
            assert match
            return match.group(1)
    raise AssertionError(f"no dashboard row for {case.reference}")


def test_a_new_session_form_starts_at_the_cases_stage(client, auth, counsellor, case, db):
    case.eft_stage = 2
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}/sessions/new").get_data(as_text=True)
    selected = re.findall(
        r'<option[^>]*selected[^>]*value="(\d*)"|<option[^>]*value="(\d*)"[^>]*selected', page
    )
    assert [a or b for a, b in selected] == ["2"]
    assert "Starts at the case&#39;s stage" in page


def test_a_new_session_form_for_a_case_not_yet_assessed_starts_blank(
    client, auth, counsellor, make_case
):
    unassessed = make_case(counsellor)
    auth.login(counsellor)
    page = client.get(f"/cases/{unassessed.id}/sessions/new").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value=""|<option[^>]*value=""[^>]*selected', page)


def test_a_sessions_stage_moves_the_case_header_and_the_dashboard(
    client, auth, counsellor, supervisor, case, db
):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/sessions/new", data=_form(case, "2026-02-03T15:00", "2")
    )
    assert response.status_code == 302
    assert _case_stage(db, case) == 2
    assert _header_stage(client, case) == "2 — Restructuring the bond"
    moved = db.scalars(select(AuditEvent).where(AuditEvent.action == "case_stage_moved")).all()
    assert [event.detail["from"] for event in moved] == [1]
    assert [event.detail["to"] for event in moved] == [2]

    # Changed on the session's own page: the case follows.
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/sessions/{session_id}/edit").get_data(as_text=True)
    edit = {**_form(case, "2026-02-03T15:00", "3"), "version": str(_version_in(page))}
    assert auth.post(f"/sessions/{session_id}/edit", data=edit).status_code == 302
    assert _case_stage(db, case) == 3
    assert _header_stage(client, case) == "3 — Consolidation"

    auth.logout()
    auth.login(supervisor)
    assert _dashboard_stage(client, case) == "3"


def test_editing_an_older_session_leaves_the_later_sessions_stage(
    client, auth, counsellor, case, make_session, db
):
    older = make_session(case, datetime(2026, 2, 3, 15, tzinfo=UTC), eft_stage=1)
    make_session(case, datetime(2026, 2, 10, 15, tzinfo=UTC), eft_stage=2)
    case.eft_stage = 2
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{older.id}/edit").get_data(as_text=True)
    edit = {**_form(case, "2026-02-03T15:00", "3"), "version": str(_version_in(page))}
    assert auth.post(f"/sessions/{older.id}/edit", data=edit).status_code == 302
    assert db.get(TherapySession, older.id).eft_stage == 3
    assert _case_stage(db, case) == 2  # the later session's stage stays in force
    assert _header_stage(client, case) == "2 — Restructuring the bond"


def test_a_session_without_a_stage_leaves_the_case_as_it_is(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/sessions/new", data=_form(case, "2026-02-03T15:00", ""))
    assert response.status_code == 302
    assert _case_stage(db, case) == 1


def test_moving_an_older_session_after_a_later_one_moves_the_case(
    client, auth, counsellor, case, make_session, db
):
    older = make_session(case, datetime(2026, 2, 3, 15, tzinfo=UTC), eft_stage=1)
    make_session(case, datetime(2026, 2, 10, 15, tzinfo=UTC), eft_stage=2)
    case.eft_stage = 2
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{older.id}/edit").get_data(as_text=True)
    edit = {**_form(case, "2026-02-17T15:00", "1"), "version": str(_version_in(page))}
    assert auth.post(f"/sessions/{older.id}/edit", data=edit).status_code == 302
    assert _case_stage(db, case) == 1  # now the latest session


def test_voiding_the_latest_session_takes_the_case_back(
    client, auth, counsellor, case, make_session, db
):
    make_session(case, datetime(2026, 2, 3, 15, tzinfo=UTC), eft_stage=1)
    latest = make_session(case, datetime(2026, 2, 10, 15, tzinfo=UTC), eft_stage=2)
    case.eft_stage = 2
    db.commit()
    auth.login(counsellor)
    response = auth.post(f"/sessions/{latest.id}/void", data={"reason": "Recorded twice."})
    assert response.status_code == 302
    assert _case_stage(db, case) == 1


# --- API -----------------------------------------------------------------------------------------


def test_the_api_moves_the_case_as_the_pages_do(app, client, counsellor, case, make_session, db):
    older = make_session(case, datetime(2026, 2, 3, 15, tzinfo=UTC), eft_stage=1)
    latest = make_session(case, datetime(2026, 2, 10, 15, tzinfo=UTC), eft_stage=1)
    headers = {"Authorization": f"Bearer {issue_token(app, db, counsellor)}"}

    def patch(session: TherapySession, stage: int) -> None:
        version = client.get(f"/api/v1/sessions/{session.id}", headers=headers).get_json()
        body = {"version": version["version"], "eft_stage": stage, "stage_reason": "Assessed."}
        assert (
            client.patch(f"/api/v1/sessions/{session.id}", json=body, headers=headers).status_code
            == 200
        )

    patch(latest, 2)
    assert _case_stage(db, case) == 2
    case_body = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert case_body["eft_stage"] == 2
    patch(older, 3)
    assert _case_stage(db, case) == 2
