"""What the route-walking security tests share: a scenario holding one object of every kind,
the URL variable → object table, the access tables (what each actor may do on each endpoint),
the security-header check, and a savepoint that undoes one request's changes.

The walks fail on an endpoint missing from ``ACCESS`` or a URL variable missing from
``VARIABLES``, so a new route forces an update here rather than being silently skipped.
Objects without routes of their own (partner, addendum, observation, measure response) are
reached through their case's and session's pages and API lists, which the marker check covers.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from practice.accounts.tokens import create_token
from practice.checkins.models import CheckinLink
from practice.core.database import Base
from practice.core.integrity import load_key
from practice.core.secret_tokens import token_digest
from practice.eft.models import ChangeEvent, StageOverride
from practice.goals.models import TreatmentGoal
from practice.models import (
    Addendum,
    Appointment,
    BreakAccount,
    BreakEpisode,
    CycleMapRevision,
    CycleMapSide,
    MeasureResponse,
    Moment,
    MomentType,
    NoteStatus,
    Report,
    ReportJob,
    ReviewStatus,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    StaffMember,
    SupervisionComment,
)
from practice.reporting import operations as reports
from practice.sessions.signed_notes import seal

# Placed in every clinical text field of the owner's case: a response to anyone out of scope
# must never contain it. Also the case's reference, which lists show.
MARKER = "Qz7731zebra"
REFERENCE = "MX-Qz7731"
# The scenario's check-in link opens with this token (its digest is what is stored).
CHECKIN_TOKEN = "matrix-checkin-token-0123456789abcdefghijklmnop"
# Responses may be binary (PDF, zip): compare bytes.
MARKER_BYTES, REFERENCE_BYTES = MARKER.encode(), REFERENCE.encode()

ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_COUNSELLOR = "other counsellor"
SUPERVISOR = "their supervisor"
OTHER_SUPERVISOR = "other supervisor"
ADMIN = "admin"
ACTORS = (ANONYMOUS, OWNER, OTHER_COUNSELLOR, SUPERVISOR, OTHER_SUPERVISOR, ADMIN)

SAFE_METHODS = ("GET",)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
API_PREFIX = "/api/v1"

# URL variable → the scenario objects to try it with (several: each is a case of its own).
# A route with a variable missing here fails the walks: add the variable and its object.
VARIABLES: dict[str, tuple[str, ...]] = {
    "case_id": ("case",),
    "session_id": ("draft session", "signed session"),
    "moment_id": ("moment",),
    "assignment_id": ("assignment",),
    "report_id": ("report",),
    "job_id": ("job",),
    "comment_id": ("comment",),
    "token_id": ("api token",),
    "member_id": ("owner staff record",),
    "type_id": ("moment type",),
    "script_id": ("script",),
    "appointment_id": ("appointment",),
    "link_id": ("checkin link",),
    "token": ("checkin token",),
    "partner_id": ("partner",),
    "account_id": ("break account",),
    "revision_id": ("cycle map revision",),
    "goal_id": ("goal",),
    "event_id": ("change event",),
    "override_id": ("stage override",),
    # Values that are not ids: a packaged file, and a path the API's catch-all answers.
    "filename": ("static file",),
    "name": ("report asset",),
    "measure": ("measure key",),
    "path": ("unrouted api path",),
}


# --- What each actor may do: the product's design ----------------------------------------------
# allow: reaches the view (any answer but 401/403/404/405/5xx; a bad payload may be 400/409/422)
# login: anonymous is sent to the login page (pages) or answered 401 (API)
# forbid: 403, the role may not do this (same answer whatever the object)
# hide: 404, the object is out of the actor's scope and must not even be confirmed to exist
ALLOW, LOGIN, FORBID, HIDE = "allow", "login", "forbid", "hide"

_SIGNED_IN = (OWNER, OTHER_COUNSELLOR, SUPERVISOR, OTHER_SUPERVISOR, ADMIN)


def _outcomes(default: str, **by_actor: str) -> dict[str, str]:
    table = {actor: default for actor in _SIGNED_IN}
    table.update({name.replace("_", " "): outcome for name, outcome in by_actor.items()})
    return {ANONYMOUS: LOGIN, **table}


_OTHER = {"other_counsellor": HIDE, "other_supervisor": HIDE}
CLASSES: dict[str, dict[str, str]] = {
    # Open to all: login page, health checks, static files, the API description.
    "public": {actor: ALLOW for actor in ACTORS},
    # Any staff member; lists within are narrowed to the member's scope.
    "staff": _outcomes(ALLOW),
    # Opening cases: counsellors, and supervisors who carry a caseload; not admins.
    "caseload": _outcomes(ALLOW, admin=FORBID),
    # Accounts, vocabulary, script library.
    "admin": _outcomes(FORBID, admin=ALLOW),
    # Supervision dashboards and the co-signature queue, across caseloads: supervisors only
    # (administrators read no clinical record and co-sign nothing).
    "reviewer": _outcomes(FORBID, their_supervisor=ALLOW, other_supervisor=ALLOW),
    # Reading A's case: A and A's supervisor. Everyone else, admins included (without a
    # break-glass opening, which the scenario has none of): it does not exist.
    "read": _outcomes(ALLOW, admin=HIDE, **_OTHER),
    # Changing A's case: A alone. Readers in scope are refused; others see nothing.
    "edit": _outcomes(FORBID, owner=ALLOW, admin=HIDE, **_OTHER),
    # Reviewing A's notes: A's supervisor; counsellors and admins by role; S2 sees nothing.
    "review": _outcomes(FORBID, their_supervisor=ALLOW, other_supervisor=HIDE),
    # A case's full export: its counsellor alone; supervisors review only; admins see nothing.
    "export": _outcomes(FORBID, owner=ALLOW, admin=HIDE, **_OTHER),
    # Personal things of A (API tokens, report batches): nobody else, admins included.
    "own": _outcomes(HIDE, owner=ALLOW),
    # A's report batch: A and admins (who run batches across the practice).
    "own or admin": _outcomes(HIDE, owner=ALLOW, admin=ALLOW),
    # A case's safety screens (``Sensitivity.SAFETY``): read by A and A's supervisor only;
    # everyone else sees nothing (an admin, even with a break-glass opening, is refused).
    "safety": _outcomes(FORBID, owner=ALLOW, their_supervisor=ALLOW, admin=HIDE, **_OTHER),
    # Recording a screen: A alone; A's supervisor and admins are refused.
    "safety edit": _outcomes(FORBID, owner=ALLOW, admin=HIDE, **_OTHER),
    # Handing A's case over: A's supervisor and admins (who see its reference, not its
    # record); counsellors by role; S2 sees nothing.
    "reassign": _outcomes(FORBID, their_supervisor=ALLOW, admin=ALLOW, other_supervisor=HIDE),
    # The API's catch-all for URLs no route answers.
    "unrouted": _outcomes(HIDE),
    # A calendar feed answers its secret only, whoever asks: without it, there is nothing.
    "secret": {actor: HIDE for actor in ACTORS},
}

# Endpoint → access class; "read/edit" is read for GET and edit for the unsafe methods.
ACCESS: dict[str, str] = {
    "practice.static": "public",
    # A partner's check-in page: no account; the link's token is the key.
    "practice.checkin_public.checkin": "public",
    "practice.checkins.issue": "edit",
    "practice.checkins.revoke": "edit",
    "practice.checkins.index": "read",
    "practice.accounts.login": "public",
    "practice.accounts.logout": "staff",
    "practice.accounts.resume": "staff",
    "practice.health.alive": "public",
    "practice.health.ready": "public",
    "practice.reports.asset": "public",
    "practice.api.openapi_document": "public",
    # Pages
    "practice.cases.home": "staff",
    "practice.cases.index": "staff",
    "practice.cases.new": "caseload",
    "practice.cases.edit": "edit",
    "practice.cases.add_partner": "edit",
    "practice.cases.change_status": "edit",
    "practice.case_page.show": "read",
    "practice.case_page.chart": "read",
    "practice.sessions.new": "edit",
    "practice.sessions.show": "read",
    "practice.sessions.save_note": "edit",
    "practice.sessions.autosave": "edit",
    "practice.sessions.edit": "edit",
    "practice.sessions.sign": "edit",
    "practice.sessions.add_addendum": "edit",
    "practice.sessions.void": "edit",
    "practice.moments.session_moments": "read/edit",
    "practice.moments.edit": "edit",
    "practice.moments.remove": "edit",
    "practice.live.screen": "edit",
    "practice.live.start": "edit",
    "practice.live.state": "edit",
    "practice.live.tag": "edit",
    "practice.live.undo": "edit",
    "practice.live.outcome": "edit",
    "practice.scripts.session_scripts": "read/edit",
    "practice.scripts.autosave_adoption": "edit",
    "practice.scripts.retire_assignment": "edit",
    "practice.scripts.library": "admin",
    "practice.scripts.edit_script": "admin",
    "practice.scripts.retire_script": "admin",
    "practice.measures.session_measures": "read/edit",
    "practice.measures.autosave_csi4": "edit",
    "practice.measure_forms.session_measure": "read/edit",
    # Each partner's consent to share their scores: read with the case, changed by A alone.
    "practice.measures.score_sharing": "read/edit",
    # A case's breaks: read with the case, recorded and corrected by A alone.
    "practice.breaks.timeline": "read",
    "practice.breaks.new": "edit",
    "practice.breaks.edit": "edit",
    "practice.breaks.live_break": "edit",
    # The couple's cycle map: read with the case, written by A alone.
    "practice.cycle_map.show": "read",
    "practice.cycle_map.edit": "edit",
    # A case's goals: read with the case, added, edited and rated at a session by A alone.
    "practice.goals.index": "read",
    "practice.goals.new": "edit",
    "practice.goals.edit": "edit",
    "practice.goals.rate_at_session": "edit",
    # Change events: confirmed, dismissed and voided by A alone; a stage override acknowledged
    # by A's supervisor alone.
    "practice.eft.new": "edit",
    "practice.eft.dismiss": "edit",
    "practice.eft.void": "edit",
    "practice.eft.acknowledge": "review",
    "practice.reports.index": "read",
    "practice.reports.preview": "edit",
    "practice.reports.generate": "edit",
    "practice.reports.download": "read",
    # The default report: served when prepared, else asked for on the queue; never rendered here.
    "practice.reports.latest": "read",
    "practice.jobs.index": "staff",
    "practice.jobs.create": "staff",
    "practice.jobs.status": "own",
    "practice.review.queue": "reviewer",
    "practice.review.session": "review",
    "practice.review.cosign": "review",
    # Several notes co-signed with one password: the ticked notes are named in the body.
    "practice.review.cosign_batch": "reviewer",
    "practice.review.return_note": "review",
    # Whoever may read a case may discuss it (the counsellor answers the supervisor).
    "practice.review.comment_case": "read",
    "practice.review.comment_session": "read",
    "practice.review.inbox": "staff",
    "practice.review.open_comment": "read",
    "practice.review.mark_read": "read",
    "practice.supervision.dashboard": "reviewer",
    "practice.supervision.export_csv": "reviewer",
    "practice.supervision.summary_pdf": "reviewer",
    "practice.vocabulary.index": "admin",
    "practice.vocabulary.new": "admin",
    "practice.vocabulary.edit": "admin",
    "practice.vocabulary.retire": "admin",
    "practice.admin.staff": "admin",
    "practice.admin.edit_staff": "admin",
    "practice.admin.toggle_active": "admin",
    "practice.admin.reset_two_factor": "admin",
    "practice.handover.deactivate": "admin",
    "practice.handover.reassign": "reassign",
    "practice.break_glass.index": "admin",
    # The notice of an administrator's break-glass opening: acknowledged by A alone.
    "practice.break_glass.acknowledge": "edit",
    "practice.audit_log.index": "admin",
    "practice.audit_log.export_csv": "admin",
    "practice.case_export.export": "export",
    # Appointments: read with the case, planned and changed by A alone; one's own week and feed.
    "practice.appointments.new": "edit",
    "practice.appointments.show": "read",
    "practice.appointments.edit": "edit",
    "practice.appointments.outcome": "edit",
    "practice.appointments.make_session": "edit",
    "practice.appointments.agenda": "staff",
    "practice.appointments.calendar_page": "staff",
    "practice.appointments.calendar_feed": "secret",
    "practice.safety.case_screens": "safety",
    "practice.safety.screen_partner": "safety edit",
    # One's own account: the password and the second sign-in step.
    "practice.security.login_code": "public",
    "practice.security.account": "staff",
    "practice.security.change_password": "staff",
    "practice.security.enrol": "staff",
    "practice.security.disable_two_factor": "staff",
    "practice.security.recovery_codes": "staff",
    "practice.security.local_preferences": "staff",
    "practice.tokens.index": "staff",
    "practice.tokens.create": "staff",
    "practice.tokens.revoke": "own",
    # API
    "practice.api.unmatched": "unrouted",
    "practice.api.cases_list": "staff",
    "practice.api.case_create": "caseload",
    "practice.api.case_read": "read",
    "practice.api.case_update": "edit",
    "practice.api.partners_list": "read",
    "practice.api.partner_create": "edit",
    "practice.api.sessions_list": "read",
    "practice.api.session_create": "edit",
    "practice.api.session_read": "read",
    "practice.api.session_update": "edit",
    "practice.api.session_before_signing": "edit",
    "practice.api.session_sign": "edit",
    "practice.api.appointments_list": "read",
    "practice.api.appointment_create": "edit",
    "practice.api.appointment_read": "read",
    "practice.api.appointment_update": "edit",
    "practice.api.appointment_outcome": "edit",
    "practice.api.appointment_convert": "edit",
    "practice.api.moments_list": "read",
    "practice.api.session_interaction": "read",
    "practice.api.moment_create": "edit",
    "practice.api.moment_read": "read",
    "practice.api.moment_update": "edit",
    "practice.api.moment_delete": "edit",
    "practice.api.measures_list": "read",
    "practice.api.measures_put": "edit",
    "practice.api.measure_registry_read": "staff",
    "practice.api.measure_responses_list": "read",
    "practice.api.measure_response_record": "edit",
    "practice.api.csi4_change_read": "read",
    "practice.api.score_consents_list": "read",
    "practice.api.score_consent_give": "edit",
    "practice.api.score_consent_withdraw": "edit",
    "practice.api.breaks_list": "read",
    "practice.api.breaks_create": "edit",
    "practice.api.breaks_update": "edit",
    "practice.api.cycle_map_get": "read",
    "practice.api.cycle_map_revisions": "read",
    "practice.api.cycle_map_revision": "read",
    "practice.api.cycle_map_save": "edit",
    "practice.api.cycle_map_diff": "read",
    "practice.api.goals_list": "read",
    "practice.api.goals_create": "edit",
    "practice.api.goals_read": "read",
    "practice.api.goals_update": "edit",
    "practice.api.goal_ratings_list": "read",
    "practice.api.goal_ratings_create": "edit",
    "practice.api.change_events_list": "read",
    "practice.api.change_event_proposals": "read",
    "practice.api.change_event_confirm": "edit",
    "practice.api.change_event_void": "edit",
    "practice.api.safety_screens_list": "safety",
    "practice.api.safety_screen_create": "safety edit",
    "practice.api.observations_list": "read",
    "practice.api.observations_put": "edit",
    "practice.api.assignments_list": "read",
    "practice.api.assignment_create": "edit",
    "practice.api.assignment_read": "read",
    "practice.api.assignment_retire": "edit",
    "practice.api.reports_list": "read",
    "practice.api.report_create": "edit",
    "practice.api.report_read": "read",
    "practice.api.report_download": "read",
    "practice.api.report_default": "read",
    "practice.api.caseload": "reviewer",
    "practice.api.session_cosign": "review",
    "practice.api.cosign_batch": "reviewer",
    "practice.api.session_comments": "read",
    "practice.api.session_comment_create": "read",
    "practice.api.case_reassign": "reassign",
    "practice.api.moment_types_list": "staff",
    "practice.api.moment_type_read": "staff",
    "practice.api.moment_type_create": "admin",
    "practice.api.moment_type_update": "admin",
    "practice.api.scripts_list": "staff",
    "practice.api.script_read": "staff",
    "practice.api.script_create": "admin",
    "practice.api.checkin_links_list": "read",
    "practice.api.checkin_link_issue": "edit",
    "practice.api.checkin_link_revoke": "edit",
    "practice.api.checkins_list": "read",
}


def access_class(endpoint: str, method: str) -> str:
    """The access class of one endpoint and method, from ``ACCESS``."""
    declared = ACCESS[endpoint]
    if declared == "read/edit":
        return "edit" if method in UNSAFE_METHODS else "read"
    return declared


# Classes whose routes read case data of ``Sensitivity.SAFETY`` (their policy says so).
SAFETY_CLASSES = ("safety", "safety edit")


class UnmappedVariable(LookupError):
    """A route has a URL variable the scenario cannot fill."""


@dataclass
class Scenario:
    """Two counsellors' cases, their supervisors and an admin; every kind of object in A's."""

    members: dict[str, StaffMember | None]
    objects: dict[str, object] = field(default_factory=dict)

    def value(self, kind: str) -> object:
        return self.objects[kind]


def build_scenario(app: Flask, db, make_staff, make_case, make_session) -> Scenario:
    """Counsellor A (owner) with a case holding one object of every kind, all carrying MARKER.

    The caller points ``PRACTICE_REPORT_DIR`` at a folder of the test's own first.
    """
    supervisor = make_staff(Role.SUPERVISOR)
    owner = make_staff(Role.COUNSELLOR, supervisor=supervisor)
    other_supervisor = make_staff(Role.SUPERVISOR)
    other = make_staff(Role.COUNSELLOR, supervisor=other_supervisor)
    admin = make_staff(Role.ADMIN)
    case = make_case(
        owner,
        partners=(f"Alex {MARKER}", f"Sam {MARKER}"),
        reference=REFERENCE,
        presenting_concerns=f"Concerns {MARKER}",
        goals=f"Goals {MARKER}",
    )
    other_case = make_case(other)
    other_session = make_session(other_case, note_data="The other couple's note.")
    note = {
        "note_data": f"Data {MARKER}",
        "note_assessment": f"Assessment {MARKER}",
        "note_plan": f"Plan {MARKER}",
    }
    signed = make_session(case, starts_at=datetime(2026, 2, 3, 15, 0, tzinfo=UTC), **note)
    draft = make_session(case, starts_at=datetime(2026, 2, 10, 15, 0, tzinfo=UTC), **note)
    signed.status = NoteStatus.SIGNED
    signed.signed_by_id = owner.id
    signed.signed_at = datetime(2026, 2, 3, 17, 0, tzinfo=UTC)
    seal(signed, load_key(app))
    signed.review_status = ReviewStatus.PENDING
    pursuer, withdrawer = case.partners
    moment_type = db.scalars(select(MomentType).order_by(MomentType.id)).first()
    script = db.scalars(select(Script).where(Script.active.is_(True)).order_by(Script.id)).first()
    moment = Moment(
        session_id=draft.id,
        moment_type=moment_type,
        partner_id=pursuer.id,
        minute=12,
        intensity=4,
        context=f"Context {MARKER}",
        created_by_id=owner.id,
    )
    assignment = ScriptAssignment(
        case_id=case.id, partner=withdrawer, script=script, assigned_session_id=signed.id
    )
    db.add_all([moment, assignment])
    db.commit()
    observation = ScriptObservation(
        assignment=assignment, session_id=draft.id, level=2, note=f"Observed {MARKER}"
    )
    measure = MeasureResponse(
        session_id=draft.id,
        partner_id=pursuer.id,
        items=[3, 3, 3, 3],
        total=12,
        recorded_by_id=owner.id,
    )
    addendum = Addendum(
        session_id=signed.id,
        author_id=owner.id,
        text=f"Addendum {MARKER}",
        created_at=datetime(2026, 2, 4, 9, 0, tzinfo=UTC),
    )
    comment = SupervisionComment(
        case_id=case.id,
        session_id=signed.id,
        author_id=supervisor.id,
        body=f"Comment {MARKER}",
        created_at=datetime(2026, 2, 5, 9, 0, tzinfo=UTC),
    )
    data = f"%PDF-1.7\n% {MARKER}\n%%EOF\n".encode()
    with app.app_context():
        folder = reports.report_dir()
    (folder / "matrix.pdf").write_bytes(data)
    report = Report(
        case_id=case.id,
        audience="clinical",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 28),
        narrative=f"Narrative {MARKER}",
        generated_by_id=owner.id,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        page_count=1,
        storage_path="matrix.pdf",
    )
    job = ReportJob(
        created_by_id=owner.id,
        total=1,
        parameters={"audience": "client", "case_ids": [case.id], "references": [REFERENCE]},
    )
    appointment = Appointment(
        case_id=case.id,
        starts_at=datetime(2026, 2, 17, 15, 0, tzinfo=UTC),
        created_by_id=owner.id,
    )
    db.add_all([observation, measure, addendum, comment, report, job, appointment])
    checkin_link = CheckinLink(
        case_id=case.id,
        partner_id=pursuer.id,
        token_sha256=token_digest(CHECKIN_TOKEN),
        issued_by_id=owner.id,
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    episode = BreakEpisode(
        case_id=case.id,
        called_by_id=withdrawer.id,
        called_at=datetime(2026, 2, 8, 20, 0, tzinfo=UTC),
    )
    break_account = BreakAccount(
        episode=episode,
        case_id=case.id,
        told_by_id=withdrawer.id,
        source="counsellor",
        called_by_id=withdrawer.id,
        called_at=episode.called_at,
        recorded_by_id=owner.id,
    )
    revision = CycleMapRevision(case_id=case.id, session_id=draft.id, created_by_id=owner.id)
    revision.sides.append(
        CycleMapSide(case_id=case.id, partner_id=pursuer.id, other_view=f"Reads {MARKER}")
    )
    db.add_all(
        [observation, measure, addendum, comment, report, job, checkin_link, episode, break_account]
    )
    db.add(revision)
    goal = TreatmentGoal(
        case_id=case.id, title="Stay in the room", opened_on=case.opened_on, created_by_id=owner.id
    )
    db.add(goal)
    db.flush()
    change_event = ChangeEvent(
        case_id=case.id,
        session_id=draft.id,
        kind="deescalated",
        occurred_on=date(2026, 2, 10),
        note=f"Note {MARKER}",
        decided_by_id=owner.id,
    )
    change_event.evidence = [moment]
    stage_override = StageOverride(
        case_id=case.id, stage=2, missing="deescalated", reason=f"Why {MARKER}", set_by_id=owner.id
    )
    db.add_all([change_event, stage_override])
    db.commit()
    with app.test_request_context():
        _secret, token = create_token(owner, f"token {MARKER}")
        db.commit()
    members = {
        ANONYMOUS: None,
        OWNER: owner,
        OTHER_COUNSELLOR: other,
        SUPERVISOR: supervisor,
        OTHER_SUPERVISOR: other_supervisor,
        ADMIN: admin,
    }
    objects = {
        "case": case.id,
        "partner": pursuer.id,
        "draft session": draft.id,
        "signed session": signed.id,
        "addendum": addendum.id,
        "moment": moment.id,
        "assignment": assignment.id,
        "observation": observation.id,
        "measure response": measure.id,
        "report": report.id,
        "job": job.id,
        "comment": comment.id,
        "api token": token.id,
        "owner staff record": owner.id,
        "moment type": moment_type.id,
        "script": script.id,
        "appointment": appointment.id,
        "checkin link": checkin_link.id,
        "checkin token": CHECKIN_TOKEN,
        "break account": break_account.id,
        "cycle map revision": revision.id,
        "goal": goal.id,
        "change event": change_event.id,
        "stage override": stage_override.id,
        "static file": "practice.css",
        "report asset": "report.css",
        "measure key": "CSI-16",
        "unrouted api path": "no/such/thing",
        # B's own, for requests that name A's objects in their body.
        "other case": other_case.id,
        "other session": other_session.id,
    }
    return Scenario(members, objects)


def tracker_rules(app: Flask) -> list[Rule]:
    """The tracker blueprint's URL rules, in a stable order."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("practice.")]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def methods_of(rule: Rule) -> list[str]:
    """The methods a rule is written for (not the automatic HEAD/OPTIONS, not the API
    catch-all's exotic ones)."""
    return [m for m in (*SAFE_METHODS, *UNSAFE_METHODS) if m in (rule.methods or ())]


def is_api(rule: Rule) -> bool:
    return rule.rule.startswith(API_PREFIX)


def urls_for(app: Flask, rule: Rule, scenario: Scenario) -> list[tuple[str, str]]:
    """(object kind, URL) for every object the rule's variables can be filled with.

    Raises UnmappedVariable for a variable missing from ``VARIABLES``.
    """
    variables = sorted(rule.arguments - set(rule.defaults or {}))
    if not variables:
        return [("-", _build(rule, {}))]
    for name in variables:
        if name not in VARIABLES:
            raise UnmappedVariable(f"{rule.rule} ({rule.endpoint}): no object for <{name}>")
    if len(variables) > 1:
        # A case and one of its own objects (a partner): each variable's first object.
        kinds = {name: VARIABLES[name][0] for name in variables}
        values = {name: scenario.value(kind) for name, kind in kinds.items()}
        return [(" + ".join(kinds.values()), _build(rule, values))]
    name = variables[0]
    return [(kind, _build(rule, {name: scenario.value(kind)})) for kind in VARIABLES[name]]


def _build(rule: Rule, values: dict) -> str:
    # From the rule itself: an endpoint may have several rules (the API's catch-all has two).
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule} from {values}"
    return built[1]


@contextlib.contextmanager
def rolled_back(db, client: FlaskClient | None = None) -> Iterator[None]:
    """Undo everything the requests inside change: the database (a SAVEPOINT on the test's
    connection) and ``client``'s session cookie (a password change re-issues it)."""
    cookie = client.get_cookie("session") if client is not None else None
    db.remove()
    connection = db.get_bind()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        db.remove()
        if savepoint.is_active:
            savepoint.rollback()
        if client is not None:
            if cookie is None:
                client.delete_cookie("session")
            else:
                client.set_cookie("session", cookie.value)


REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response, *, cacheable: bool = False, secure: bool = False) -> list[str]:
    """What is missing from the security headers every tracker response must carry.

    ``cacheable``: a static asset, which may be cached; everything else holds or may hold
    clinical data and must not be stored. ``secure``: the request came over HTTPS.
    """
    headers = response.headers
    problems = []
    csp = csp_directives(headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    if not scripts:
        problems.append("no script-src or default-src in the CSP")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts):
        problems.append(f"script-src allows inline or foreign script: {scripts}")
    if csp.get("frame-ancestors") != ["'none'"]:
        problems.append("CSP lacks frame-ancestors 'none'")
    if csp.get("object-src") != ["'none'"]:
        problems.append("CSP lacks object-src 'none'")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if not cacheable and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r} (no-store expected)")
    hsts = headers.get("Strict-Transport-Security")
    if secure and not (hsts and _max_age(hsts) >= 31_536_000):
        problems.append(f"HTTPS without a year of HSTS: {hsts!r}")
    if not secure and hsts:
        problems.append("HSTS sent over plain HTTP")
    return problems


def _max_age(hsts: str) -> int:
    for part in hsts.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age" and value.isdigit():
            return int(value)
    return 0


def database_state(db, *, leave_out: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every tracker table (but ``leave_out``), so that any change at all shows."""
    db.remove()
    state = {}
    for table in Base.metadata.sorted_tables:
        if table.name in leave_out:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.execute(select(table).order_by(*order)).all()
        state[table.name] = [tuple(row) for row in rows]
    db.remove()
    return state
