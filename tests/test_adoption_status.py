"""Observation statuses and the course of adoption, through the scripts tab, the case page, the
API, case progress, the progress report and the supervisor's dashboard, on hand-built histories.

The rule itself (``practice.scripts.adoption.adoption_course``) is pinned in
``test_adoption_course.py``; here each history is recorded as a counsellor would, and every place
that shows adoption must tell the same story. Sessions are weekly from Monday 6 Jul 2026, so the
n-th session (from 1) is on 6 Jul + 7 × (n - 1) days: 13 Jul, 20 Jul, 27 Jul, 03 Aug, …
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from practice.models import (
    AuditEvent,
    Script,
    ScriptAssignment,
    ScriptObservation,
)
from practice.progress.case_progress import case_progress
from practice.reports.progress_report import build_report_html, report_context
from practice.scripts import operations
from practice.scripts.adoption import ABSENT, NO_OPPORTUNITY, OBSERVED
from practice.sessions import operations as session_operations
from tests.test_api_support import ApiClient, issue_token

START = datetime(2026, 7, 6, 15, 0, tzinfo=UTC)
WITHDRAWER_SCRIPT = "I need time to process this, but I'm open to talk soon."
PURSUER_SCRIPT = "When would be a good time for us to sit with this together?"


def script(db, text: str) -> Script:
    return db.scalar(select(Script).where(Script.text == text))


def page(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def record_history(db, case, make_session, marks, start=START, partner_index=1):
    """One session a week from ``start``, and the withdrawer's script given at the first.

    A number is an observed level, "a" the partner absent (not in the attendance, recorded as
    such), "n" a session without opportunity, "-" a session where nothing was recorded.
    """
    partner = case.partners[partner_index]
    others = [p for p in case.partners if p.id != partner.id]
    sessions = [make_session(case, starts_at=start + timedelta(weeks=n)) for n in range(len(marks))]
    assignment = ScriptAssignment(
        case_id=case.id,
        partner=partner,
        script=script(db, WITHDRAWER_SCRIPT),
        assigned_session=sessions[0],
    )
    db.add(assignment)
    for therapy_session, mark in zip(sessions, marks, strict=True):
        if mark == "-":
            continue
        if mark == "a":
            therapy_session.attendees = others
            status, level = ABSENT, None
        elif mark == "n":
            status, level = NO_OPPORTUNITY, None
        else:
            status, level = OBSERVED, mark
        db.add(
            ScriptObservation(
                assignment=assignment, therapy_session=therapy_session, status=status, level=level
            )
        )
    db.commit()
    return sessions, assignment


def day(therapy_session) -> str:
    return therapy_session.starts_at.strftime("%d %b %Y")


def api(app, client, db, member) -> ApiClient:
    return ApiClient(client, issue_token(app, db, member))


# --- An absent partner's session neither breaks nor makes adoption --------------------------------


def test_an_absent_partner_does_not_break_the_run_on_any_page(
    app, client, auth, db, counsellor, case, make_session
):
    # Levels 1 · 2 · absent · 2 · 3. Observed: 1, 2, 2, 3 at sessions 1, 2, 4, 5; the first two
    # observed in a row at >= 2 are sessions 2 and 4: adopted at session 2 (13 Jul 2026). From
    # then on 3 of 3 observed sessions at >= 2 (100 % >= 75 %): maintained.
    # (Written as a level 0, the old way, the absence would have put adoption at session 4.)
    sessions, _ = record_history(db, case, make_session, [1, 2, "a", 2, 3])
    second, absent = sessions[1], sessions[2]

    with app.app_context():
        (line,) = case_progress(case).adoption
    assert line.levels == {sessions[0].id: 1, second.id: 2, sessions[3].id: 2, sessions[4].id: 3}
    assert line.not_observed == {absent.id: ABSENT}
    assert (line.adopted_session_id, line.adopted_on) == (second.id, date(2026, 7, 13))
    assert line.state == "maintained"

    auth.login(counsellor)
    tab = page(client.get(f"/sessions/{absent.id}/scripts"))
    assert "Adopted at the session of 13 Jul 2026 and maintained" in tab
    assert "At level 2 or more at 3 of 3 observed sessions from then on." in tab
    series = tab.split('class="level-series"')[1].split("</ol>")[0]
    assert "status-absent this-session" in series and ">A</span>" in series
    assert "Partner absent (this session)" in series
    case_page = page(client.get(f"/cases/{case.id}"))
    assert "Adopted at the session of 13 Jul 2026 and maintained" in case_page

    token_api = api(app, client, db, counsellor)
    listed = token_api.get(f"/cases/{case.id}/assignments").get_json()["items"]
    assert [
        (a["adopted_session_id"], a["adopted_on"], a["adoption_state"], a["observed_sessions"])
        for a in listed
    ] == [(second.id, "2026-07-13", "maintained", 4)]
    (recorded,) = token_api.get(f"/sessions/{absent.id}/observations").get_json()["items"]
    assert (recorded["status"], recorded["status_label"]) == ("absent", "Partner absent")
    assert (recorded["level"], recorded["level_label"]) == (None, None)


def test_sessions_without_an_observation_never_make_an_adoption(
    app, client, auth, db, counsellor, case, make_session
):
    # Levels 2 · absent · no opportunity: one observed session at 2, and no second one to pair
    # with; the sessions that were not observed do not stand in for it. Not yet adopted, after
    # 1 observed session.
    sessions, _ = record_history(db, case, make_session, [2, "a", "n"])
    with app.app_context():
        (line,) = case_progress(case).adoption
    assert (line.state, line.adopted_session_id, line.course.observed) == (
        "not_yet_adopted",
        None,
        1,
    )
    assert line.not_observed == {sessions[1].id: ABSENT, sessions[2].id: NO_OPPORTUNITY}

    auth.login(counsellor)
    tab = page(client.get(f"/sessions/{sessions[2].id}/scripts"))
    assert "<strong>Not yet adopted</strong>" in tab and "1 observed session so far." in tab
    assert "<strong>Not yet adopted</strong>" in page(client.get(f"/cases/{case.id}"))
    (item,) = (
        api(app, client, db, counsellor).get(f"/cases/{case.id}/assignments").get_json()["items"]
    )
    assert (item["adoption_state"], item["adopted_session_id"], item["adopted_on"]) == (
        "not_yet_adopted",
        None,
        None,
    )


# --- Maintained, used unevenly, lapsed -----------------------------------------------------------


@pytest.mark.parametrize(
    ("marks", "state", "shown", "detail"),
    [
        # Adopted at session 1 (06 Jul); then 2 2 2 1 → 3 of 4 at >= 2 = 75 %, the threshold
        # itself: maintained; the latest two observed (2, 1) are not both below 2.
        (
            [2, 2, 2, 1, "a"],
            "maintained",
            "Adopted at the session of 06 Jul 2026 and maintained",
            "At level 2 or more at 3 of 4 observed sessions from then on.",
        ),
        # One more observed session at 1 (an absence between does not matter): after the
        # adopting pair 2, 1, 1, and the latest two observed are both below 2: lapsed.
        (
            [2, 2, 2, 1, "a", 1],
            "lapsed",
            "<strong>Lapsed</strong> (adopted at the session of 06 Jul 2026)",
            "Below level 2 at the latest two observed sessions.",
        ),
        # 2 2 1 2 1 → 3 of 5 = 60 % < 75 %, the latest two (2, 1) not both below 2: uneven.
        (
            [2, 2, 1, 2, 1],
            "uneven",
            "Adopted at the session of 06 Jul 2026, used unevenly since",
            "At level 2 or more at 3 of 5 observed sessions from then on.",
        ),
    ],
)
def test_the_state_after_adoption_is_shown_everywhere(
    app, client, auth, db, counsellor, case, make_session, marks, state, shown, detail
):
    sessions, _ = record_history(db, case, make_session, marks)
    auth.login(counsellor)
    tab = page(client.get(f"/sessions/{sessions[-1].id}/scripts"))
    assert shown in tab and detail in tab
    assert shown in page(client.get(f"/cases/{case.id}"))
    (item,) = (
        api(app, client, db, counsellor).get(f"/cases/{case.id}/assignments").get_json()["items"]
    )
    assert (item["adoption_state"], item["adopted_on"]) == (state, "2026-07-06")
    with app.app_context():
        (line,) = case_progress(case).adoption
    assert line.state == state


# --- A report looks at the whole history up to its period's end ---------------------------------


def test_a_report_starting_after_adoption_shows_the_case_pages_date(
    app, client, auth, db, counsellor, case, make_session
):
    # Levels 1 2 2 2 2 on 06, 13, 20, 27 Jul and 03 Aug: adopted at the session of 13 Jul (the
    # first of sessions 2 and 3, both at 2). The period 27 Jul – 03 Aug holds sessions 4 and 5
    # only, which on their own would say "adopted at 27 Jul".
    record_history(db, case, make_session, [1, 2, 2, 2, 2])
    auth.login(counsellor)
    assert "Adopted at the session of 13 Jul 2026 and maintained" in page(
        client.get(f"/cases/{case.id}")
    )
    with app.app_context():
        context = report_context(
            case, date(2026, 7, 27), date(2026, 8, 3), "clinical", "", counsellor
        )
        html = build_report_html(context)
        client_context = report_context(
            case, date(2026, 7, 27), date(2026, 8, 3), "client", "", counsellor
        )
        client_html = build_report_html(client_context)
    (row,) = context["adoption"]
    assert (row["adopted_on"], row["state"]) == (date(2026, 7, 13), "maintained")
    assert context["figures"]["scripts_adopted"] == 1
    assert "at the session of 13 Jul 2026; adopted and maintained" in html
    assert "Part of how you talk since the session of 13 Jul 2026." in client_html
    assert "27 Jul 2026;" not in html


def test_a_report_ending_before_the_adopting_pair_is_complete_says_not_yet(
    app, db, counsellor, case, make_session
):
    # The same history; a period 06 – 13 Jul ends before session 3 confirms the pair (13 and
    # 20 Jul): up to 13 Jul there is one observed session at 2, so not yet adopted, even though
    # the case page says "adopted at 13 Jul" today.
    record_history(db, case, make_session, [1, 2, 2, 2, 2])
    with app.app_context():
        context = report_context(
            case, date(2026, 7, 6), date(2026, 7, 13), "clinical", "", counsellor
        )
        html = build_report_html(context)
    (row,) = context["adoption"]
    assert (row["adopted_on"], row["state"], row["observed"]) == (None, "not_yet_adopted", 2)
    assert "not yet adopted" in html


def test_a_lapse_after_the_period_is_not_in_its_report(app, db, counsellor, case, make_session):
    # Levels 2 2 2 1 1 (06 Jul – 03 Aug): lapsed as of 03 Aug; as of 20 Jul (2 2 2) maintained.
    record_history(db, case, make_session, [2, 2, 2, 1, 1])
    with app.app_context():
        early = report_context(
            case, date(2026, 7, 6), date(2026, 7, 20), "clinical", "", counsellor
        )
        late = report_context(case, date(2026, 7, 27), date(2026, 8, 3), "clinical", "", counsellor)
        late_for_the_couple = build_report_html(
            report_context(case, date(2026, 7, 27), date(2026, 8, 3), "client", "", counsellor)
        )
    assert [(r["adopted_on"], r["state"]) for r in early["adoption"]] == [
        (date(2026, 7, 6), "maintained")
    ]
    assert [(r["adopted_on"], r["state"]) for r in late["adoption"]] == [
        (date(2026, 7, 6), "lapsed")
    ]
    assert "Part of how you talk" not in late_for_the_couple
    assert "harder to reach for lately" in late_for_the_couple


def test_a_script_given_after_the_period_is_not_in_its_report(
    app, db, counsellor, case, make_session
):
    record_history(db, case, make_session, [1, 1], start=datetime(2026, 9, 7, 15, tzinfo=UTC))
    with app.app_context():
        progress = case_progress(case, date(2026, 7, 1), date(2026, 8, 31))
    assert progress.adoption == []


# --- Recording: observed, no opportunity, absent from the attendance ------------------------------


def record(auth, therapy_session, entries):
    data = {"record": "Save adoption levels"}
    for i, (assignment_id, choice) in enumerate(entries):
        data[f"observations-{i}-assignment_id"] = str(assignment_id)
        if choice is not None:
            data[f"observations-{i}-level"] = str(choice)
        data[f"observations-{i}-note"] = ""
    return auth.post(f"/sessions/{therapy_session.id}/scripts", data)


@pytest.fixture
def two_scripts(db, case, make_session):
    """A session Sam (the withdrawer) missed; each partner has a script from that session."""
    alex, sam = case.partners
    therapy_session = make_session(case, starts_at=START)
    therapy_session.attendees = [alex]
    given = {}
    for partner, text in ((alex, PURSUER_SCRIPT), (sam, WITHDRAWER_SCRIPT)):
        given[partner.display_name] = ScriptAssignment(
            case_id=case.id,
            partner=partner,
            script=script(db, text),
            assigned_session=therapy_session,
        )
        db.add(given[partner.display_name])
    db.commit()
    return therapy_session, given["Alex"], given["Sam"]


def test_an_absent_partner_is_shown_not_asked_and_recorded_absent_on_saving(
    client, auth, db, counsellor, two_scripts
):
    therapy_session, alex_script, sam_script = two_scripts
    auth.login(counsellor)
    tab = page(client.get(f"/sessions/{therapy_session.id}/scripts"))
    form = tab.split('id="record-heading"')[1].split("</form>")[0]
    # One entry, Alex's: Sam's script is shown, not asked.
    assert form.count('name="observations-0-assignment_id"') == 1
    assert "observations-1-" not in form
    hidden = re.search(r'name="observations-0-assignment_id"[^>]*value="(\d+)"', form)
    assert hidden and int(hidden.group(1)) == alex_script.id
    assert "<strong>Partner absent</strong>: Sam did not attend this session" in form
    assert form.count('type="radio"') == 5

    response = record(auth, therapy_session, [(alex_script.id, NO_OPPORTUNITY)])
    assert response.status_code == 302
    stored = {
        o.assignment_id: (o.status, o.level)
        for o in db.scalars(select(ScriptObservation).execution_options(populate_existing=True))
    }
    assert stored == {alex_script.id: (NO_OPPORTUNITY, None), sam_script.id: (ABSENT, None)}
    audit = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "adoption_recorded")
        .order_by(AuditEvent.id.desc())
    )
    assert audit.detail == {
        "assignment_ids": [alex_script.id],
        "absent_assignment_ids": [sam_script.id],
    }
    tab = page(client.get(f"/sessions/{therapy_session.id}/scripts"))
    assert 'checked id="observations-0-level-4"' in tab  # "no opportunity" is pre-filled


def test_a_level_for_a_partner_who_did_not_attend_is_refused(
    client, auth, db, counsellor, two_scripts
):
    therapy_session, alex_script, sam_script = two_scripts
    auth.login(counsellor)
    response = record(auth, therapy_session, [(alex_script.id, 2), (sam_script.id, 2)])
    assert response.status_code == 200
    assert "Sam did not attend this session: their scripts are recorded as partner absent." in (
        page(response)
    )
    assert db.scalar(select(func.count(ScriptObservation.id))) == 0


def test_the_api_takes_observed_or_no_opportunity_and_refuses_the_rest(
    app, client, db, counsellor, two_scripts
):
    therapy_session, alex_script, sam_script = two_scripts
    token_api = api(app, client, db, counsellor)
    path = f"/sessions/{therapy_session.id}/observations"

    def put(*entries):
        return token_api.put(path, json={"levels": list(entries)})

    mine = {"assignment_id": alex_script.id}
    assert put({**mine, "status": "absent"}).status_code == 422  # from attendance only
    assert put({**mine, "status": "maybe", "level": 1}).status_code == 422
    assert put({**mine, "level": 4}).status_code == 422
    assert put({**mine, "status": "observed"}).status_code == 409  # observed needs a level
    assert put({**mine, "status": "no_opportunity", "level": 2}).status_code == 409
    refused = put({**mine, "level": 2}, {"assignment_id": sam_script.id, "level": 2})
    assert refused.status_code == 409
    assert "Sam did not attend" in refused.get_json()["error"]["message"]
    assert db.scalar(select(func.count(ScriptObservation.id))) == 0

    saved = put({**mine, "status": "no_opportunity", "note": "The topic never came up."})
    assert saved.status_code == 200
    answered = {
        item["assignment_id"]: (item["status"], item["level"]) for item in saved.get_json()["items"]
    }
    assert answered == {alex_script.id: ("no_opportunity", None), sam_script.id: ("absent", None)}
    # A level without a status is an observed level, as before statuses existed.
    again = put({**mine, "level": 3}).get_json()["items"]
    assert [
        (i["status"], i["level"], i["level_label"])
        for i in again
        if i["assignment_id"] == alex_script.id
    ] == [("observed", 3, "Reported used at home")]


def test_a_partner_taken_off_the_attendance_becomes_absent(app, db, counsellor, case, make_session):
    alex, sam = case.partners
    therapy_session = make_session(case, starts_at=START)
    assignment = ScriptAssignment(
        case_id=case.id,
        partner=sam,
        script=script(db, WITHDRAWER_SCRIPT),
        assigned_session=therapy_session,
    )
    db.add(assignment)
    db.add(ScriptObservation(assignment=assignment, therapy_session=therapy_session, level=2))
    db.commit()
    details = session_operations.SessionDetails(
        starts_at=therapy_session.starts_at,
        duration_minutes=therapy_session.duration_minutes,
        modality=therapy_session.modality,
        attendee_ids=[alex.id],
        eft_stage=therapy_session.eft_stage,
    )
    with app.app_context():
        session_operations.update_details(therapy_session, details, therapy_session.version)
        observation = db.scalar(select(ScriptObservation))
        assert (observation.status, observation.level) == (ABSENT, None)
        audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "adoption_marked_absent"))
        assert audit.detail == {"assignment_ids": [assignment.id]}
        # Back on the attendance: nothing is deleted; the absence stays until recorded again.
        details = session_operations.SessionDetails(
            starts_at=therapy_session.starts_at,
            duration_minutes=therapy_session.duration_minutes,
            modality=therapy_session.modality,
            attendee_ids=[alex.id, sam.id],
            eft_stage=therapy_session.eft_stage,
        )
        session_operations.update_details(therapy_session, details, therapy_session.version)
        assert db.scalar(select(ScriptObservation.status)) == ABSENT
        operations.record_adoption(
            therapy_session, {assignment.id: operations.ObservationInput(OBSERVED, 1)}
        )
        assert db.execute(select(ScriptObservation.status, ScriptObservation.level)).one() == (
            OBSERVED,
            1,
        )


# --- The supervisor's flag counts observed sessions only -----------------------------------------


def dashboard_row(page_html: str, reference: str) -> str:
    for chunk in page_html.split("<tr")[1:]:
        if f">{reference}</a>" in chunk:
            return chunk.split("</tr>")[0]
    raise AssertionError(f"no row for {reference}")


def test_script_not_adopted_counts_observed_sessions_only_at_its_threshold(
    client, auth, db, supervisor, counsellor, make_case, make_session
):
    # The threshold is 6 observed sessions (PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS' default).
    # C-0701: 1 1 a n 1 1 a 1 → 8 sessions recorded, 5 of them observed: no flag (5 < 6).
    # C-0702: 1 1 a 1 1 1 1 → 7 sessions recorded, 6 observed: flagged "after 6" (6 >= 6).
    now = datetime.now(UTC).replace(microsecond=0)
    below = make_case(counsellor, reference="C-0701")
    at = make_case(counsellor, reference="C-0702")
    for case, marks in ((below, [1, 1, "a", "n", 1, 1, "a", 1]), (at, [1, 1, "a", 1, 1, 1, 1])):
        first = now - timedelta(days=3, weeks=len(marks) - 1)
        record_history(db, case, make_session, marks, start=first)
    auth.login(supervisor)
    dashboard = page(client.get("/supervision"))
    assert "not adopted after" not in dashboard_row(dashboard, "C-0701")
    assert re.search(
        r"script “[^”]+” not adopted after 6 observed sessions", dashboard_row(dashboard, "C-0702")
    )
