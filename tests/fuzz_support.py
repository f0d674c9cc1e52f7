"""What the form fuzzer posts, and where: the table of form routes, the practice it posts to,
and Hypothesis strategies for the fields of a WTForms form.

A new POST route of the tracker needs a line in ``FORM_ROUTES`` (its form classes and who may
post to it); ``test_every_post_route_is_fuzzed`` fails until it has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    ColorField,
    DateField,
    DateTimeField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)

from practice.accounts.forms import (
    CodeForm,
    DisableTwoFactorForm,
    EditStaffForm,
    EnrolForm,
    LocalPreferencesForm,
    NewStaffForm,
    NewTokenForm,
    PasswordChangeForm,
    RecoveryCodesForm,
    ResumeForm,
)
from practice.accounts.tokens import create_token
from practice.appointments.forms import AppointmentForm, ConvertForm, OutcomeForm
from practice.appointments.models import Appointment
from practice.breaks.forms import BreakAccountForm, LiveBreakForm
from practice.breaks.operations import record_partner_account
from practice.cases.forms import AddPartnerForm, EditCaseForm, NewCaseForm, StatusForm
from practice.cases.handover_forms import BreakGlassForm, ReassignForm, _reason_field
from practice.checkins.forms import IssueLinkForm, RevokeLinkForm, checkin_form_class
from practice.checkins.models import Checkin, CheckinLink
from practice.checkins.operations import issue_link
from practice.eft.forms import (
    AcknowledgeOverrideForm,
    ChangeEventForm,
    DismissProposalForm,
    VoidEventForm,
)
from practice.eft.models import ChangeEvent, StageOverride
from practice.eft.operations import EventData, confirm_event
from practice.formulation.forms import CycleMapForm
from practice.formulation.models import CycleMapRevision, CycleMapSide
from practice.goals.forms import GoalForm
from practice.goals.models import GoalRating, TreatmentGoal
from practice.measures.forms import Csi4Form, GiveConsentForm, WithdrawConsentForm
from practice.models import (
    Addendum,
    BreakAccount,
    Case,
    MeasureResponse,
    Moment,
    MomentType,
    Partner,
    ScoreSharingConsent,
    Script,
    ScriptObservation,
    StaffMember,
    TherapySession,
)
from practice.moments.forms import MomentForm, MomentTypeForm
from practice.reporting.forms import ReportForm
from practice.reporting.job_views import ReportBatchForm
from practice.safety.forms import ScreenForm
from practice.safety.models import SafetyScreen
from practice.scripts.forms import AdoptionForm, AssignForm, RetireAssignmentForm, ScriptForm
from practice.sessions.forms import (
    AddendumForm,
    EditSessionForm,
    NoteForm,
    SessionDetailsForm,
    SignForm,
)
from practice.sessions.operations import sign_note
from practice.supervision.comments import new_comment
from practice.supervision.forms import BatchCosignForm, CommentForm, CosignForm, ReturnForm
from practice.web.forms import ConfirmForm, ExportConfirmForm, PracticeForm, VoidForm
from tests.conftest import PASSWORD
from tests.test_api_support import seed_practice

# --- The practice the fuzzer posts to ------------------------------------------------------------


@dataclass
class World:
    """Ids of the objects URLs point at, and of everything a field might name."""

    emails: dict[str, str]  # role → the email of the member who posts as that role
    case: int  # the counsellor's couple, with the sessions below
    status_case: int  # a second case of the counsellor, whose status the fuzzer changes
    session: int  # a draft with moments, an assignment, adoption and CSI-4
    sign_session: int  # a draft with a note, for the sign form
    signed_session: int  # a signed note waiting for the supervisor's co-signature
    spare_session: int  # an empty draft, voided by the fuzzer
    moment: int
    spare_moment: int  # removed by the fuzzer
    script: int
    spare_script: int  # retired and brought back by the fuzzer
    assignment: int
    moment_type: int
    spare_type: int  # retired and brought back by the fuzzer
    staff_target: int  # a counsellor the administrator edits
    token: int  # an API token of the counsellor
    comment: int = 0  # the supervisor's comment on the case, which the counsellor marks read
    appointment: int = 0  # a planned appointment of the case, begun an hour ago
    break_account: int = 0  # an account of a break in the case, which the fuzzer edits
    partner: int = 0  # the case's first partner, whom the fuzzer screens
    checkin_link: int = 0  # an open check-in link of the case, which the fuzzer revokes
    checkin_token: str = ""  # the token of another open link, which the fuzzer checks in with
    goal: int = 0  # a goal of the case, which the fuzzer edits and rates
    change_event: int = 0  # a confirmed change event of the case, which the fuzzer voids
    stage_override: int = 0  # a stage set without its events, which the supervisor acknowledges
    measure: str = "CSI-16"  # a registry measure with its own session page
    ids: list[int] = field(default_factory=list)  # every id above, and the partners'


# --- Checks that a refused post changed nothing -----------------------------------------------


def _row(db: Session, model, object_id: int, *columns) -> tuple:
    return tuple(db.execute(select(*columns).where(model.id == object_id)).one())


def _count(db: Session, column, *where) -> int:
    return db.scalar(select(func.count(column)).where(*where))


def case_row(db: Session, w: World) -> tuple:
    partners = db.execute(
        select(Partner.id, Partner.display_name, Partner.pronouns, Partner.cycle_role)
        .where(Partner.case_id == w.case)
        .order_by(Partner.id)
    ).all()
    row = _row(db, Case, w.case, Case.presenting_concerns, Case.goals, Case.eft_stage, Case.version)
    return row, tuple(partners)


def note_row(db: Session, w: World) -> tuple:
    t = TherapySession
    return _row(db, t, w.session, t.note_data, t.note_assessment, t.note_plan, t.version)


def session_row(db: Session, w: World) -> tuple:
    t = TherapySession
    columns = (t.starts_at, t.duration_minutes, t.modality, t.eft_stage, t.version)
    return _row(db, t, w.session, *columns)


def sign_row(db: Session, w: World) -> tuple:
    t = TherapySession
    return _row(db, t, w.sign_session, t.status, t.signed_at, t.version)


def moment_row(db: Session, w: World) -> tuple:
    m = Moment
    columns = (m.moment_type_id, m.partner_id, m.minute, m.intensity, m.context)
    directed = (m.target_partner_id, m.answers_moment_id, m.outcome)
    return _row(db, m, w.moment, *columns, *directed)


def moment_outcome(db: Session, w: World) -> tuple:
    return _row(db, Moment, w.moment, Moment.outcome)


def script_row(db: Session, w: World) -> tuple:
    return _row(db, Script, w.script, Script.text, Script.intended_role, Script.category)


def type_row(db: Session, w: World) -> tuple:
    t = MomentType
    return _row(db, t, w.moment_type, t.label, t.description, t.valence, t.colour, t.shortcut)


def staff_row(db: Session, w: World) -> tuple:
    s = StaffMember
    return _row(db, s, w.staff_target, s.role, s.supervisor_id)


def case_count(db: Session, w: World) -> int:
    return _count(db, Case.id)


def partner_count(db: Session, w: World) -> int:
    return _count(db, Partner.id, Partner.case_id == w.case)


def session_count(db: Session, w: World) -> int:
    return _count(db, TherapySession.id, TherapySession.case_id == w.case)


def moment_count(db: Session, w: World) -> int:
    return _count(db, Moment.id, Moment.session_id == w.session, Moment.voided_at.is_(None))


def addendum_count(db: Session, w: World) -> int:
    return _count(db, Addendum.id, Addendum.session_id == w.signed_session)


def measures_of_session(db: Session, w: World) -> tuple:
    m = MeasureResponse
    rows = db.execute(select(m.partner_id, m.items).where(m.session_id == w.session)).all()
    return tuple(sorted((partner, tuple(items)) for partner, items in rows))


def observations_of_session(db: Session, w: World) -> tuple:
    o = ScriptObservation
    query = select(o.assignment_id, o.status, o.level, o.note).where(o.session_id == w.session)
    return tuple(db.execute(query.order_by(o.assignment_id)).all())


def consents_of_case(db: Session, w: World) -> tuple:
    c = ScoreSharingConsent
    query = select(c.id, c.partner_id, c.audience, c.given_on, c.withdrawn_on).where(
        c.case_id == w.case
    )
    return tuple(db.execute(query.order_by(c.id)).all())


def breaks_of_case(db: Session, w: World) -> tuple:
    a = BreakAccount
    query = select(a.id, a.version, a.called_at, a.resumed_at, a.outcome).where(a.case_id == w.case)
    return tuple(db.execute(query.order_by(a.id)).all())


def cycle_map_of_case(db: Session, w: World) -> tuple:
    r, side = CycleMapRevision, CycleMapSide
    revisions = db.execute(select(r.id, r.version).where(r.case_id == w.case).order_by(r.id))
    sides = db.execute(
        select(side.id, side.trigger, side.other_view, side.need)
        .where(side.case_id == w.case)
        .order_by(side.id)
    )
    return (tuple(revisions.all()), tuple(sides.all()))


def goals_of_case(db: Session, w: World) -> tuple:
    g = TreatmentGoal
    query = select(g.id, g.version, g.title, g.owner_id, g.opened_on, g.status, g.status_on)
    return tuple(db.execute(query.where(g.case_id == w.case).order_by(g.id)).all())


def goal_ratings_of_session(db: Session, w: World) -> tuple:
    r = GoalRating
    query = select(r.goal_id, r.partner_id, r.rating).where(r.session_id == w.session)
    return tuple(db.execute(query.order_by(r.goal_id, r.partner_id)).all())


def events_of_case(db: Session, w: World) -> tuple:
    e = ChangeEvent
    query = select(e.id, e.kind, e.decision, e.voided_at).where(e.case_id == w.case)
    return tuple(db.execute(query.order_by(e.id)).all())


def screens_of_case(db: Session, w: World) -> tuple:
    s = SafetyScreen
    query = select(s.id, s.partner_id, s.screened_on, s.hurt, s.insult, s.threaten, s.scream)
    return tuple(db.execute(query.where(s.case_id == w.case).order_by(s.id)).all())


def script_count(db: Session, w: World) -> int:
    return _count(db, Script.id)


def type_count(db: Session, w: World) -> int:
    return _count(db, MomentType.id)


def staff_count(db: Session, w: World) -> int:
    return _count(db, StaffMember.id)


def appointment_count(db: Session, w: World) -> int:
    return _count(db, Appointment.id, Appointment.case_id == w.case)


def appointment_row(db: Session, w: World) -> tuple:
    a = Appointment
    return _row(db, a, w.appointment, a.starts_at, a.duration_minutes, a.mode, a.status, a.version)


def checkin_count(db: Session, w: World) -> int:
    return _count(db, Checkin.id)


def checkin_links(db: Session, w: World) -> tuple:
    query = select(CheckinLink.id, CheckinLink.revoked_at).where(CheckinLink.case_id == w.case)
    return tuple(db.execute(query.order_by(CheckinLink.id)).all())


def shown_or_redirected(status: int) -> bool:
    """A link issued is shown (200, its address given once); a refusal redirects back."""
    return status == 200


def checked_in(status: int) -> bool:
    return status == 200


def redirected(status: int) -> bool:
    return status in (302, 303)


def json_accepted(status: int) -> bool:
    return status < 400


# --- Bodies the routes accept -------------------------------------------------------------------


def _version(db: Session, model, object_id: int) -> str:
    return str(db.scalar(select(model.version).where(model.id == object_id)))


def _partners(db: Session, case_id: int) -> list[int]:
    return list(
        db.scalars(select(Partner.id).where(Partner.case_id == case_id).order_by(Partner.id))
    )


def new_case_body(db: Session, w: World) -> dict:
    return {
        "kind": "couple",
        "opened_on": "2026-01-10",
        "presenting_concerns": "Fights about chores.",
        "goals": "Calmer evenings.",
        "eft_stage": "1",
        "partners-0-display_name": "Alex",
        "partners-0-cycle_role": "pursuer",
        "partners-1-display_name": "Sam",
        "partners-1-pronouns": "they/them",
        "partners-1-cycle_role": "withdrawer",
    }


def edit_case_body(db: Session, w: World) -> dict:
    body = {
        "presenting_concerns": "Fights about chores.",
        "goals": "Calmer evenings.",
        "eft_stage": "2",
        "version": _version(db, Case, w.case),
    }
    for index, partner_id in enumerate(_partners(db, w.case)):
        body |= {
            f"partners-{index}-partner_id": str(partner_id),
            f"partners-{index}-display_name": f"Partner {index}",
            f"partners-{index}-cycle_role": "mixed",
        }
    return body


def status_body(db: Session, w: World) -> dict:
    status = db.scalar(select(Case.status).where(Case.id == w.status_case))
    return {"action": "pause" if status == "active" else "reopen", "reason": "A holiday."}


def session_body(db: Session, w: World) -> dict:
    return {
        "starts_at": "2026-03-03T15:00",
        "duration_minutes": "50",
        "modality": "video",
        "attendance": [str(p) for p in _partners(db, w.case)],
        "eft_stage": "1",
    }


def edit_session_body(db: Session, w: World) -> dict:
    return session_body(db, w) | {"version": _version(db, TherapySession, w.session)}


def note_body(db: Session, w: World) -> dict:
    return {
        "note_data": "They named the cycle.",
        "note_assessment": "Stage 1.",
        "note_plan": "Practise the time-out.",
        "version": _version(db, TherapySession, w.session),
    }


def moment_body(db: Session, w: World) -> dict:
    return {
        "moment_type_id": str(w.moment_type),
        "partner_id": str(_partners(db, w.case)[0]),
        "minute": "5",
        "intensity": "3",
        "context": "“You never listen.”",
    }


def script_body(db: Session, w: World) -> dict:
    return {"text": "Let me try that again.", "intended_role": "either", "category": "Repair"}


def adoption_body(db: Session, w: World) -> dict:
    return {
        "observations-0-assignment_id": str(w.assignment),
        "observations-0-level": "2",
        "observations-0-note": "Used it at home.",
    }


def csi4_body(db: Session, w: World) -> dict:
    partner = _partners(db, w.case)[1]
    items = {f"partners-0-item_{n}": "3" for n in range(1, 5)}
    return {"partners-0-partner_id": str(partner), **items}


CSI16_FIELDS = tuple(f"p{p}_i{n}" for p in (0, 1) for n in range(1, 17))


def csi16_body(db: Session, w: World) -> dict:
    return {name: "3" for name in CSI16_FIELDS if name.startswith("p1_")}


def csi4_autosave_body(db: Session, w: World) -> dict:
    return {"partner_id": _partners(db, w.case)[1], "items": [3, 3, 3, 3]}


def adoption_autosave_body(db: Session, w: World) -> dict:
    return {"assignment_id": w.assignment, "level": 2, "note": "Used it at home."}


def screen_body(db: Session, w: World) -> dict:
    answers = {"hurt": "1", "insult": "2", "threaten": "1", "scream": "2"}
    return {"screened_on": "2026-03-10", **answers, "afraid": "no", "decision": "joint_ok"}


def consent_body(db: Session, w: World) -> dict:
    partner = _partners(db, w.case)[0]
    return {"partner_id": str(partner), "audience": "referrer", "given_on": "2026-03-10"}


def break_body(db: Session, w: World) -> dict:
    first, second = _partners(db, w.case)[:2]
    return {
        "told_by": str(second),
        "called_by_id": str(second),
        "called_at": "2026-03-10T20:00",
        "with_script": "y",
        "heart_rate": "110",
        "resumed_at": "2026-03-10T20:45",
        "resumed_by_id": str(first),
        "outcome": "calmer",
    }


def cycle_map_body(db: Session, w: World) -> dict:
    return {
        "first-trigger": "He goes quiet",
        "first-action": "Presses for an answer",
        "first-reactive_emotion": "Anger",
        "first-action_triggers_other": "y",
        "second-trigger": "Her raised voice",
        "second-action": "Leaves the room",
        "second-other_view": "Her reaching is an accusation",
    }


def goal_body(db: Session, w: World) -> dict:
    return {
        "title": "Stay in the room",
        "owner_id": "",
        "opened_on": "2026-01-10",
        "status": "active",
    }


def goal_ratings_body(db: Session, w: World) -> dict:
    first, second = _partners(db, w.case)[:2]
    return {f"rating-{w.goal}-{first}": "4", f"rating-{w.goal}-{second}": "7"}


def change_event_body(db: Session, w: World) -> dict:
    return {
        "kind": "injury_resolved",
        "session_id": str(w.session),
        "occurred_on": "2026-03-10",
        "evidence": [str(w.moment)],
        "note": "Forgiveness asked and given.",
    }


def report_body(db: Session, w: World) -> dict:
    return {
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "audience": "client",
        "narrative": "Softer starts.",
    }


def review_body(db: Session, w: World) -> dict:
    addenda = addendum_count(db, w)
    version = _version(db, TherapySession, w.signed_session)
    return {"version": version, "addenda_seen": str(addenda), "password": PASSWORD}


def return_body(db: Session, w: World) -> dict:
    return review_body(db, w) | {"comment": "Say who named the cycle first."}


def comment_body(db: Session, w: World) -> dict:
    return {"body": "Good work on the time-out."}


def addendum_body(db: Session, w: World) -> dict:
    return {"text": "Sam called after the session."}


def moment_type_body(db: Session, w: World) -> dict:
    return {
        "label": "Sigh",
        "description": "An audible sigh.",
        "valence": "neutral",
        "colour": "#336699",
        "shortcut": "",
    }


def new_staff_body(db: Session, w: World) -> dict:
    return {"email": "new@test.example", "display_name": "New Person", "role": "counsellor"}


def edit_staff_body(db: Session, w: World) -> dict:
    supervisor = db.scalar(
        select(StaffMember.id).where(StaffMember.email == w.emails["supervisor"])
    )
    return {"role": "counsellor", "supervisor_id": str(supervisor)}


def token_body(db: Session, w: World) -> dict:
    return {"name": "Fuzz script", "expires_in_days": "30", "password": PASSWORD}


def autosave_body(db: Session, w: World) -> dict:
    return {**note_body(db, w), "version": int(_version(db, TherapySession, w.session))}


def live_tag_body(db: Session, w: World) -> dict:
    return {"moment_type_id": w.moment_type, "partner_id": None, "intensity": 3}


def void_body(db: Session, w: World) -> dict:
    return {"reason": "Tagged in error."}


def appointment_body(db: Session, w: World) -> dict:
    return {"starts_at": "2026-03-20T10:00", "duration_minutes": "50", "mode": "video"}


def edit_appointment_body(db: Session, w: World) -> dict:
    return appointment_body(db, w) | {"version": _version(db, Appointment, w.appointment)}


def outcome_body(db: Session, w: World) -> dict:
    version = _version(db, Appointment, w.appointment)
    return {"status": "cancelled", "cancelled_by": "partner_b", "version": version}


def sign_body(db: Session, w: World) -> dict:
    return {
        "password": PASSWORD,
        "version": _version(db, TherapySession, w.sign_session),
        "confirm_missing": "y",
    }


# --- The table of form routes -------------------------------------------------------------------

# Which object of the world a URL argument names, unless a route says otherwise.
DEFAULT_TARGETS = {
    "case_id": "case",
    "session_id": "session",
    "moment_id": "moment",
    "script_id": "script",
    "assignment_id": "assignment",
    "type_id": "moment_type",
    "member_id": "staff_target",
    "token_id": "token",
    "comment_id": "comment",
    "appointment_id": "appointment",
    "partner_id": "partner",
}


@dataclass(frozen=True)
class FormRoute:
    """How to fuzz one POST route.

    ``forms``: the WTForms classes whose fields it reads (none: a button posting the CSRF token
    only); ``role``: which member of the world posts (one who may); ``targets``: URL argument →
    World attribute, over ``DEFAULT_TARGETS``; ``json``: the keys of a JSON body, for routes
    that take JSON; ``extra``: other form keys the view reads; ``snapshot``: what a refused post
    must leave unchanged, with ``accepted`` telling an accepted answer from a refusal;
    ``valid``: a body the route accepts, of which half the inputs change one or two fields, so
    that fuzzed values get past the other fields' checks to the services and the database.
    """

    forms: tuple[type, ...]
    role: str
    targets: dict[str, str] = field(default_factory=dict)
    json: tuple[str, ...] | None = None
    extra: tuple[str, ...] = ()
    examples: int = 16
    snapshot: Callable[[Session, World], object] | None = None
    accepted: Callable[[int], bool] = redirected
    signs_out: bool = False
    valid: Callable[[Session, World], dict] | None = None


class HandoverFields(PracticeForm):
    """The hand-over form's fixed field; its per-case selects depend on the member's cases."""

    reason = _reason_field("Reason", 500)


FORM_ROUTES: dict[str, FormRoute] = {
    # Hand-over and break-glass: administrators (and supervisors for a reassignment).
    "practice.handover.deactivate": FormRoute((HandoverFields,), "admin"),
    "practice.handover.reassign": FormRoute((ReassignForm,), "admin"),
    "practice.break_glass.index": FormRoute((BreakGlassForm,), "admin"),
    "practice.break_glass.acknowledge": FormRoute((ConfirmForm,), "counsellor", examples=4),
    "practice.review.cosign_batch": FormRoute((BatchCosignForm,), "supervisor"),
    # A partner's check-in, without an account: refused answers (400 re-shown, 410, 429)
    # store nothing.
    "practice.checkin_public.checkin": FormRoute(
        (checkin_form_class((), False),),
        "counsellor",
        targets={"token": "checkin_token"},
        snapshot=checkin_count,
        accepted=checked_in,
    ),
    "practice.checkins.issue": FormRoute(
        (IssueLinkForm,), "counsellor", snapshot=checkin_links, accepted=shown_or_redirected
    ),
    "practice.checkins.revoke": FormRoute(
        (RevokeLinkForm,), "counsellor", targets={"link_id": "checkin_link"}
    ),
    "practice.accounts.logout": FormRoute((), "counsellor", examples=3, signs_out=True),
    # Standalone it only redirects; in a host app it asks the host's hook (tests/plugin).
    "practice.accounts.resume": FormRoute((ResumeForm,), "counsellor", examples=4),
    "practice.cases.new": FormRoute(
        (NewCaseForm,), "counsellor", extra=("rows",), snapshot=case_count
    ),
    "practice.cases.edit": FormRoute((EditCaseForm,), "counsellor", snapshot=case_row),
    "practice.cases.add_partner": FormRoute(
        (AddPartnerForm,), "counsellor", snapshot=partner_count
    ),
    "practice.cases.change_status": FormRoute(
        (StatusForm,), "counsellor", targets={"case_id": "status_case"}
    ),
    "practice.sessions.new": FormRoute((SessionDetailsForm,), "counsellor", snapshot=session_count),
    "practice.sessions.save_note": FormRoute((NoteForm,), "counsellor", snapshot=note_row),
    "practice.sessions.autosave": FormRoute(
        (),
        "counsellor",
        json=("version", "note_data", "note_assessment", "note_plan", "base"),
        snapshot=note_row,
        accepted=json_accepted,
    ),
    "practice.sessions.edit": FormRoute((EditSessionForm,), "counsellor", snapshot=session_row),
    # The caseload's search: filters and a term in the body, never in the URL.
    "practice.cases.home": FormRoute(
        (), "counsellor", extra=("q", "status", "trend", "flag", "sort", "resort"), examples=8
    ),
    # Appointments: changed, then given an outcome, then (refused, being no longer planned, or
    # made into a session) converted.
    "practice.appointments.new": FormRoute(
        (AppointmentForm,), "counsellor", snapshot=appointment_count
    ),
    "practice.appointments.edit": FormRoute(
        (AppointmentForm,), "counsellor", snapshot=appointment_row
    ),
    "practice.appointments.outcome": FormRoute(
        (OutcomeForm,), "counsellor", snapshot=appointment_row
    ),
    "practice.appointments.make_session": FormRoute((ConvertForm,), "counsellor", examples=4),
    "practice.appointments.calendar_page": FormRoute(
        (ConfirmForm,), "counsellor", extra=("action",), examples=4
    ),
    "practice.sessions.sign": FormRoute(
        (SignForm,),
        "counsellor",
        targets={"session_id": "sign_session"},
        snapshot=sign_row,
        examples=12,
    ),
    "practice.sessions.add_addendum": FormRoute(
        (AddendumForm,),
        "counsellor",
        targets={"session_id": "signed_session"},
        snapshot=addendum_count,
    ),
    "practice.moments.session_moments": FormRoute(
        (MomentForm,), "counsellor", snapshot=moment_count
    ),
    "practice.moments.edit": FormRoute((MomentForm,), "counsellor", snapshot=moment_row),
    "practice.moments.remove": FormRoute(
        (VoidForm,), "counsellor", targets={"moment_id": "spare_moment"}, examples=6
    ),
    "practice.live.start": FormRoute((), "counsellor", examples=4),
    "practice.live.tag": FormRoute(
        (),
        "counsellor",
        json=("moment_type_id", "partner_id", "intensity"),
        snapshot=moment_count,
        accepted=json_accepted,
    ),
    "practice.live.undo": FormRoute((), "counsellor", json=(), examples=4),
    # A moment's outcome set in live mode (accepted, rejected, missed or none).
    "practice.live.outcome": FormRoute(
        (), "counsellor", json=("outcome",), snapshot=moment_outcome, accepted=json_accepted
    ),
    "practice.scripts.library": FormRoute((ScriptForm,), "admin", snapshot=script_count),
    "practice.scripts.edit_script": FormRoute((ScriptForm,), "admin", snapshot=script_row),
    "practice.scripts.retire_script": FormRoute(
        (), "admin", targets={"script_id": "spare_script"}, examples=4
    ),
    # One URL, two forms: the view tells them apart by the "assign" button.
    "practice.scripts.session_scripts": FormRoute((AssignForm, AdoptionForm), "counsellor"),
    "practice.scripts.retire_assignment": FormRoute((RetireAssignmentForm,), "counsellor"),
    "practice.measures.session_measures": FormRoute(
        (Csi4Form,), "counsellor", snapshot=measures_of_session
    ),
    "practice.measure_forms.session_measure": FormRoute(
        (),
        "counsellor",
        targets={"measure": "measure"},
        extra=CSI16_FIELDS,
        snapshot=measures_of_session,
    ),
    "practice.measures.autosave_csi4": FormRoute(
        (),
        "counsellor",
        json=("partner_id", "items"),
        snapshot=measures_of_session,
        accepted=json_accepted,
    ),
    "practice.scripts.autosave_adoption": FormRoute(
        (),
        "counsellor",
        json=("assignment_id", "level", "note"),
        snapshot=observations_of_session,
        accepted=json_accepted,
    ),
    # One URL, two forms: a withdrawal carries its own date field.
    "practice.measures.score_sharing": FormRoute(
        (GiveConsentForm, WithdrawConsentForm), "counsellor", snapshot=consents_of_case
    ),
    "practice.breaks.new": FormRoute((BreakAccountForm,), "counsellor", snapshot=breaks_of_case),
    "practice.breaks.edit": FormRoute(
        (BreakAccountForm,),
        "counsellor",
        targets={"account_id": "break_account"},
        extra=("version",),
        snapshot=breaks_of_case,
    ),
    "practice.eft.new": FormRoute((ChangeEventForm,), "counsellor", snapshot=events_of_case),
    "practice.eft.dismiss": FormRoute((DismissProposalForm,), "counsellor", examples=6),
    "practice.eft.void": FormRoute(
        (VoidEventForm,), "counsellor", targets={"event_id": "change_event"}, examples=6
    ),
    "practice.eft.acknowledge": FormRoute(
        (AcknowledgeOverrideForm,),
        "supervisor",
        targets={"override_id": "stage_override"},
        examples=4,
    ),
    # A partner called a break in live mode: one select and a tick.
    "practice.breaks.live_break": FormRoute((LiveBreakForm,), "counsellor", examples=8),
    # The cycle map revision of the draft session: both partners' sides.
    "practice.cycle_map.edit": FormRoute(
        (CycleMapForm,), "counsellor", extra=("version",), snapshot=cycle_map_of_case
    ),
    "practice.safety.screen_partner": FormRoute(
        (ScreenForm,), "counsellor", snapshot=screens_of_case
    ),
    "practice.goals.new": FormRoute((GoalForm,), "counsellor", snapshot=goals_of_case),
    "practice.goals.edit": FormRoute(
        (GoalForm,),
        "counsellor",
        targets={"goal_id": "goal"},
        extra=("version",),
        snapshot=goals_of_case,
    ),
    # One 0-10 input per goal and partner present (its names come from the valid body).
    "practice.goals.rate_at_session": FormRoute(
        (), "counsellor", snapshot=goal_ratings_of_session, examples=12
    ),
    # Previews and reports render (a PDF for the latter): fewer examples.
    "practice.reports.preview": FormRoute((ReportForm,), "counsellor", examples=12),
    "practice.reports.generate": FormRoute((ReportForm,), "counsellor", examples=8),
    "practice.jobs.create": FormRoute((ReportBatchForm,), "counsellor", examples=12),
    "practice.review.cosign": FormRoute(
        (CosignForm,), "supervisor", targets={"session_id": "signed_session"}, examples=12
    ),
    "practice.review.return_note": FormRoute(
        (ReturnForm,), "supervisor", targets={"session_id": "signed_session"}
    ),
    "practice.review.comment_case": FormRoute((CommentForm,), "counsellor"),
    "practice.review.comment_session": FormRoute((CommentForm,), "supervisor"),
    "practice.vocabulary.new": FormRoute((MomentTypeForm,), "admin", snapshot=type_count),
    "practice.vocabulary.edit": FormRoute((MomentTypeForm,), "admin", snapshot=type_row),
    "practice.vocabulary.retire": FormRoute(
        (), "admin", targets={"type_id": "spare_type"}, examples=4
    ),
    "practice.admin.staff": FormRoute((NewStaffForm,), "admin", snapshot=staff_count),
    "practice.admin.edit_staff": FormRoute((EditStaffForm,), "admin", snapshot=staff_row),
    "practice.admin.toggle_active": FormRoute((), "admin", examples=4),
    "practice.admin.reset_two_factor": FormRoute((ConfirmForm,), "admin", examples=4),
    "practice.audit_log.export_csv": FormRoute((ExportConfirmForm,), "admin", examples=6),
    "practice.tokens.create": FormRoute((NewTokenForm,), "counsellor"),
    "practice.security.local_preferences": FormRoute(
        (LocalPreferencesForm,), "counsellor", examples=8
    ),
    "practice.tokens.revoke": FormRoute((ConfirmForm,), "counsellor", examples=4),
    "practice.review.mark_read": FormRoute((ConfirmForm,), "counsellor", examples=4),
    "practice.sessions.void": FormRoute(
        (VoidForm,), "counsellor", targets={"session_id": "spare_session"}, examples=8
    ),
    "practice.case_export.export": FormRoute((ExportConfirmForm,), "counsellor", examples=6),
    # Exports render (a PDF for the summary) once the password is right: few examples.
    "practice.supervision.export_csv": FormRoute((ExportConfirmForm,), "supervisor", examples=6),
    "practice.supervision.summary_pdf": FormRoute((ExportConfirmForm,), "supervisor", examples=4),
    # Account security, last: a changed password or session must not disturb the routes above.
    "practice.security.login_code": FormRoute((CodeForm,), "admin", examples=6),
    "practice.security.enrol": FormRoute((EnrolForm,), "admin", examples=8),
    "practice.security.disable_two_factor": FormRoute((DisableTwoFactorForm,), "admin", examples=6),
    "practice.security.recovery_codes": FormRoute((RecoveryCodesForm,), "admin", examples=6),
    "practice.security.change_password": FormRoute(
        (PasswordChangeForm,), "admin", examples=8, signs_out=True
    ),
}

# A body each route accepts (see FormRoute.valid). Not for reports.generate: a PDF a time.
VALID_BODIES = {
    "practice.cases.new": new_case_body,
    "practice.cases.edit": edit_case_body,
    "practice.cases.change_status": status_body,
    "practice.sessions.new": session_body,
    "practice.sessions.save_note": note_body,
    "practice.sessions.autosave": autosave_body,
    "practice.sessions.void": void_body,
    "practice.live.tag": live_tag_body,
    "practice.live.outcome": lambda db, w: {"outcome": "accepted"},
    "practice.moments.remove": void_body,
    "practice.sessions.edit": edit_session_body,
    "practice.appointments.new": appointment_body,
    "practice.appointments.edit": edit_appointment_body,
    "practice.appointments.outcome": outcome_body,
    "practice.sessions.sign": sign_body,
    "practice.sessions.add_addendum": addendum_body,
    "practice.moments.session_moments": moment_body,
    "practice.moments.edit": moment_body,
    "practice.scripts.library": script_body,
    "practice.scripts.edit_script": script_body,
    "practice.scripts.session_scripts": adoption_body,
    "practice.measures.session_measures": csi4_body,
    "practice.measures.autosave_csi4": csi4_autosave_body,
    "practice.measure_forms.session_measure": csi16_body,
    "practice.scripts.autosave_adoption": adoption_autosave_body,
    "practice.measures.score_sharing": consent_body,
    "practice.breaks.new": break_body,
    "practice.eft.new": change_event_body,
    "practice.breaks.edit": break_body,
    "practice.cycle_map.edit": cycle_map_body,
    "practice.safety.screen_partner": screen_body,
    "practice.goals.new": goal_body,
    "practice.goals.edit": goal_body,
    "practice.goals.rate_at_session": goal_ratings_body,
    "practice.reports.preview": report_body,
    "practice.review.cosign": review_body,
    "practice.review.return_note": return_body,
    "practice.review.comment_case": comment_body,
    "practice.review.comment_session": comment_body,
    "practice.vocabulary.new": moment_type_body,
    "practice.vocabulary.edit": moment_type_body,
    "practice.admin.staff": new_staff_body,
    "practice.admin.edit_staff": edit_staff_body,
    "practice.tokens.create": token_body,
}
FORM_ROUTES = {
    endpoint: replace(route, valid=VALID_BODIES.get(endpoint))
    for endpoint, route in FORM_ROUTES.items()
}

# Fuzzed on their own (signed out, or by GET): not in the table above.
LOGIN_ENDPOINT = "practice.accounts.login"
# The API has its own fuzzer (tests/test_schemathesis.py).
API_PREFIX = "/api/v1"

# Query-string arguments the list and search pages read (unknown ones are fuzzed too).
QUERY_KEYS = (
    *("page", "q", "status", "sort", "kind", "next", "counsellor", "flag", "trend"),
    # The audit log's search.
    *("actor_id", "actor", "action", "object_type", "object_id", "case_id", "outcome"),
    *("remote_addr", "from", "to", "before", "after", "verify"),
)


# --- Strategies -----------------------------------------------------------------------------------

# Strings that broke web apps before: NUL and other controls, bidi overrides, emoji, numbers
# out of every range, impossible dates, markup.
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202eRTL override\u202c",
    "שלום עולם",
    "مرحبا",
    "👩‍❤️‍👨🧑🏽‍🤝‍🧑🏻",
    "Z̸̢̛͓a̵l̴g̶o̷",
    "\ufeff",
    "\uffff",
    "-1",
    "0",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "9" * 40,
    "-" + "9" * 40,
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "0x10",
    "０１２",  # full-width digits: isdigit() but not ASCII
    "²",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-13-45T25:61",
    "true",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "'; DROP TABLE cases; --",
    "%00",
    "../../etc/passwd",
    "#zzzzzz",
)

_text = st.text(max_size=60)
_huge = st.builds(
    lambda chunk, size: (chunk * (size // len(chunk) + 1))[:size],
    st.text(min_size=1, max_size=3),
    st.sampled_from([1_001, 10_001, 100_000]),
)
_numbers = st.one_of(
    st.integers(min_value=-3, max_value=12),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
).map(str)
JUNK = st.one_of(st.sampled_from(NASTY), _text, _numbers)


def _choice_values(field) -> list[str]:
    """The values a select or radio field offers, as submitted text (none if set per request)."""
    choices = getattr(field, "choices", None) or []
    if isinstance(choices, dict):
        choices = [choice for group in choices.values() for choice in group]
    values = []
    for choice in choices:
        value = getattr(choice, "value", None) if not isinstance(choice, tuple) else choice[0]
        values.append("" if value is None else str(value))
    return values


def field_strategy(field, ids: list[int]) -> st.SearchStrategy:
    """Plausible and implausible submitted values for one WTForms field (one value or several)."""
    some_id = st.sampled_from(ids).map(str)
    if isinstance(field, SubmitField | BooleanField):
        plausible = st.sampled_from(["y", "Save", "on"])
    elif isinstance(field, DateTimeLocalField | DateTimeField):
        plausible = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
        )
    elif isinstance(field, DateField):
        plausible = st.dates().map(lambda day: day.isoformat())
    elif isinstance(field, SelectMultipleField):
        plausible = st.lists(st.one_of(some_id, JUNK), max_size=4)
    elif isinstance(field, SelectField | RadioField):
        values = _choice_values(field)
        plausible = st.sampled_from(values) if values else some_id
        plausible = st.one_of(plausible, some_id)
    elif isinstance(field, IntegerField):
        plausible = st.one_of(some_id, st.integers(min_value=-2, max_value=10).map(str))
    elif isinstance(field, ColorField):
        plausible = st.from_regex(r"\A#[0-9a-fA-F]{6}\Z")
    elif isinstance(field, PasswordField):
        plausible = st.just(PASSWORD)
    else:
        plausible = _text
    one = st.one_of(plausible, JUNK)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def form_field_names(app: Flask, form_class: type) -> dict[str, object]:
    """Every field a form reads, by submitted name, with list fields given rows 0, 1 and 7."""
    with app.test_request_context():
        form = form_class(formdata=None, meta={"csrf": False})
        fields: dict[str, object] = {}
        for bound in form:
            if isinstance(bound, FieldList):
                row = bound.append_entry()
                subfields = row if isinstance(row, FormField) else [row]
                for index in (0, 1, 7):
                    for sub in subfields:
                        suffix = sub.name.removeprefix(row.name)
                        fields[f"{bound.name}-{index}{suffix}"] = sub
            elif isinstance(bound, FormField):  # a fixed sub-form: its fields by their names
                for sub in bound:
                    fields[sub.name] = sub
            else:
                fields[bound.name] = bound
    return fields


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()  # in the changes to a valid body: leave the field out


def form_payloads(app: Flask, route: FormRoute, ids: list[int]) -> st.SearchStrategy[tuple]:
    """Form bodies for a route, as (body, changes to the route's valid body or None).

    Bodies have each field missing or any value, plus unknown fields; with a valid body, half
    the inputs are instead that body with one or two fields changed or left out.
    """
    fields: dict[str, object] = {}
    for form_class in route.forms:
        fields.update(form_field_names(app, form_class))
    optional = {name: field_strategy(bound, ids) for name, bound in fields.items()}
    optional.update({name: JUNK for name in route.extra})
    unknown = st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda key: key != "csrf_token"),
        JUNK,
        max_size=2,
    )
    known = st.fixed_dictionaries({}, optional=optional)
    # At most one huge value per body (a third of them): huge strings are slow to send back.
    names = st.sampled_from(sorted(optional) or ["unknown"])
    huge = st.one_of(st.just({}), st.just({}), st.dictionaries(names, _huge, max_size=1))
    bodies = st.builds(
        lambda *parts: ({k: v for part in parts for k, v in part.items()}, None),
        unknown,
        known,
        huge,
    )
    if route.valid is None or not optional:
        return bodies
    change = st.sampled_from(sorted(optional)).flatmap(
        lambda name: st.tuples(
            st.just(name), st.one_of(st.just(DELETE), optional[name], _huge, st.just("a\x00b"))
        )
    )
    changes = st.lists(change, min_size=1, max_size=2).map(dict)
    return st.one_of(bodies, st.tuples(st.just({}), changes))


def apply_changes(valid: dict, changes: dict) -> dict:
    """``valid`` with ``changes`` made (DELETE leaves a field out)."""
    body = {**valid, **changes}
    return {name: value for name, value in body.items() if value is not DELETE}


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        JUNK,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)


def json_payloads(route: FormRoute, ids: list[int]) -> st.SearchStrategy[tuple]:
    """JSON bodies as (body, changes to the valid body or None): an object with each key
    missing or any JSON value, or not an object at all."""
    plausible = st.one_of(st.sampled_from(ids), st.integers(min_value=-2, max_value=10))
    value = st.one_of(plausible, JSON_VALUES)
    body = st.fixed_dictionaries({}, optional={key: value for key in route.json or ()})
    bodies = st.one_of(body, body, JSON_VALUES).map(lambda body: (body, None))
    if route.valid is None or not route.json:
        return bodies
    change = st.tuples(st.sampled_from(route.json), st.one_of(st.just(DELETE), value, _huge))
    changes = st.lists(change, min_size=1, max_size=2).map(dict)
    return st.one_of(bodies, st.tuples(st.just({}), changes))


def nul_examples(valid: dict) -> list[tuple]:
    """Inputs that put a NUL character in each text field of a valid body, one at a time
    (PostgreSQL refuses to store NUL; nothing may try)."""
    return [
        ({}, {name: "a\x00b"})
        for name, value in valid.items()
        if isinstance(value, str) and not re.fullmatch(r"[-\d:T#]*", value)
    ]


def query_strings(keys: tuple[str, ...] = QUERY_KEYS) -> st.SearchStrategy[dict]:
    """Query arguments of a list or search page: known names and others, any values."""
    key = st.one_of(st.sampled_from(keys), st.text(min_size=1, max_size=10))
    value = st.one_of(JUNK, st.lists(JUNK, min_size=2, max_size=3))
    return st.dictionaries(key, value, max_size=4)


def build_world(app: Flask, db: Session, make_staff, make_case, make_session) -> World:
    """The seeded practice of the API tests, plus what the form routes act on."""
    practice = seed_practice(db, make_staff, make_case, make_session)
    counsellor = practice.counsellor
    status_case = make_case(counsellor)
    sign_session = make_session(practice.case, note_data="Named the cycle together.")
    to_sign = make_session(practice.case, note_data="Alex pursued; Sam went quiet.")
    spare_moment = db.scalars(
        select(Moment).where(Moment.session_id == practice.session.id, Moment.minute == 30)
    ).one()
    script, spare_script = db.scalars(select(Script).order_by(Script.id).limit(2)).all()
    moment_type, spare_type = db.scalars(
        select(MomentType)
        .where(MomentType.key.in_(("contempt", "flooding")))
        .order_by(MomentType.key)
    ).all()
    ids = [
        practice.case.id,
        status_case.id,
        practice.session.id,
        sign_session.id,
        to_sign.id,
        practice.later.id,
        practice.other_session.id,
        practice.moment.id,
        spare_moment.id,
        script.id,
        spare_script.id,
        practice.assignment.id,
        moment_type.id,
        spare_type.id,
        practice.other.id,
        practice.supervisor.id,
        *(partner.id for partner in practice.case.partners),
    ]
    world = dict(
        emails={
            "counsellor": counsellor.email,
            "supervisor": practice.supervisor.email,
            "admin": practice.admin.email,
        },
        case=practice.case.id,
        status_case=status_case.id,
        session=practice.session.id,
        sign_session=sign_session.id,
        signed_session=to_sign.id,
        spare_session=practice.later.id,
        moment=practice.moment.id,
        spare_moment=spare_moment.id,
        script=script.id,
        spare_script=spare_script.id,
        assignment=practice.assignment.id,
        moment_type=moment_type.id,
        spare_type=spare_type.id,
        staff_target=practice.other.id,
        partner=practice.case.partners[0].id,
    )
    with app.test_request_context():
        _secret, token = create_token(db.get(StaffMember, counsellor.id), "fuzz")
        db.flush()
        world["token"] = token.id
        question = new_comment(
            db.get(StaffMember, practice.supervisor.id),
            db.get(Case, practice.case.id),
            "Which moment opened the session?",
        )
        world["comment"] = question.id
        appointment = Appointment(
            case_id=practice.case.id,
            starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
            created_by_id=counsellor.id,
        )
        db.add(appointment)
        db.flush()
        world["appointment"] = appointment.id
        note = db.get(TherapySession, to_sign.id)
        sign_note(note, note.case.counsellor)
        couple = db.get(Case, practice.case.id)
        told = couple.partners[1]
        episode = record_partner_account(
            couple,
            told,
            called_by=told,
            called_at=datetime(2026, 3, 3, 20, 0, tzinfo=UTC),
            with_script=True,
            flooding=False,
            heart_rate=None,
            promised_return_at=None,
            resumed_at=None,
            resumed_by=None,
            with_invitation=False,
            outcome=None,
        )
        world["break_account"] = episode.accounts[0].id
        _token, link = issue_link(couple, couple.partners[0].id, couple.counsellor)
        world["checkin_link"] = link.id
        world["checkin_token"], _link = issue_link(couple, told.id, couple.counsellor)
        goal = TreatmentGoal(
            case_id=couple.id,
            title="Come back after a break",
            opened_on=couple.opened_on,
            created_by_id=counsellor.id,
        )
        db.add(goal)
        db.flush()
        world["goal"] = goal.id
        event = confirm_event(
            couple,
            couple.counsellor,
            EventData(
                kind="deescalated",
                session_id=practice.session.id,
                occurred_on=date(2026, 3, 3),
                evidence_ids=[practice.moment.id],
            ),
        )
        world["change_event"] = event.id
        override = StageOverride(
            case_id=couple.id, stage=3, missing="softened", reason="r", set_by_id=counsellor.id
        )
        db.add(override)
        db.flush()
        world["stage_override"] = override.id
        db.commit()
    ids = {
        *ids,
        world["token"],
        world["comment"],
        world["appointment"],
        world["break_account"],
        world["checkin_link"],
        world["goal"],
        world["change_event"],
        world["stage_override"],
    }
    return World(**world, ids=sorted(ids))
