"""Opening and changing cases: references, partners, edits guarded by a version, status.

The only place a case is written and its rules live. Each operation takes loaded objects and
validated data, flushes, audits and never commits (the request, command or job does). A refused
change raises ``CaseError`` (a ``VersionConflict`` for a stale edit); operations that write run
in a savepoint (``@atomic``), so a refusal leaves the case as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.cases import eft
from practice.cases.models import Case, CaseKind, CaseStatus, CycleRole, Partner
from practice.core import local_time
from practice.core.database import db, utcnow
from practice.core.errors import Conflict, Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.eft import gates
from practice.eft import kinds as eft_kinds

REFERENCE_PREFIX = "C-"
# Two people opening a case at the same moment may pick the same reference; the unique
# constraint refuses the second, which then tries the next number.
REFERENCE_ATTEMPTS = 5

MAX_TEXT_LENGTH = 5_000
MAX_NAME_LENGTH = 60
MAX_PRONOUNS_LENGTH = 30
MAX_REASON_LENGTH = 500
MAX_REFERRER_NAME_LENGTH = 120
MAX_REFERRER_ORGANISATION_LENGTH = 160

# Fewest and most partners a case of each kind holds.
PARTNER_LIMITS: dict[str, tuple[int, int]] = {
    CaseKind.COUPLE: (2, 2),
    CaseKind.INDIVIDUAL: (1, 1),
    CaseKind.FAMILY: (2, 6),
}
MAX_PARTNERS = max(most for _, most in PARTNER_LIMITS.values())

CREATOR_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR})

# action: (statuses it applies to, status it leads to, past tense for messages)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "pause": (frozenset({CaseStatus.ACTIVE}), CaseStatus.PAUSED, "paused"),
    "close": (frozenset({CaseStatus.ACTIVE, CaseStatus.PAUSED}), CaseStatus.CLOSED, "closed"),
    "reopen": (frozenset({CaseStatus.PAUSED, CaseStatus.CLOSED}), CaseStatus.ACTIVE, "reopened"),
}


class CaseError(Refused):
    """A change to a case that cannot be made; the message says why."""


@dataclass(frozen=True)
class PartnerDetails:
    """What a counsellor records about a partner."""

    display_name: str
    pronouns: str | None = None
    cycle_role: str = CycleRole.UNCLEAR


@dataclass(frozen=True)
class NewCase:
    """Everything needed to open a case."""

    kind: str
    opened_on: date
    presenting_concerns: str = ""
    goals: str = ""
    eft_stage: int | None = None
    partners: list[PartnerDetails] = field(default_factory=list)
    # Why a stage is set without its change events (``practice.eft.gates``); else empty.
    stage_reason: str = ""


@dataclass(frozen=True)
class CaseEdit:
    """The fields of a case that can be edited, with partners by id."""

    presenting_concerns: str
    goals: str
    eft_stage: int | None
    partners: dict[int, PartnerDetails] = field(default_factory=dict)
    # Who referred the case and what they asked (the referrer report's addressee and question).
    referrer_name: str = ""
    referrer_organisation: str = ""
    referral_question: str = ""
    # Why a stage is set without its change events (``practice.eft.gates``); else empty.
    stage_reason: str = ""


# The case's own fields an edit may change (partners are edited by id beside them).
CASE_EDIT_FIELDS = (
    "presenting_concerns",
    "goals",
    "eft_stage",
    "referrer_name",
    "referrer_organisation",
    "referral_question",
)


class VersionConflict(Conflict):
    """The case changed since the editor loaded it; ``saved`` holds what is stored now."""

    def __init__(self, saved: CaseEdit, version: int) -> None:
        super().__init__(
            "Someone saved this case after you opened it, so your changes were not saved. "
            "Compare the saved values with yours below; saving again will replace the saved "
            "values with yours.",
            current_version=version,
        )
        self.saved = saved  # the case as stored now (a CaseEdit), for the editor to compare


def may_open_cases(member: StaffMember) -> bool:
    """Whether ``member`` carries a caseload and so may open cases for themselves."""
    return member.active and member.role in CREATOR_ROLES


def today() -> date:
    """The current date in the practice's zone (UTC outside an app), the default for dates the
    counsellor may change."""
    if not has_app_context():
        return utcnow().date()
    return local_time.today_in(local_time.practice_zone(current_app.config), utcnow())


def latest_opening_date() -> date:
    """The latest date a case may be opened on: today wherever it is already today.

    Dates are entered in the counsellor's own calendar; UTC+14 is the earliest time zone, so
    a counsellor there is not refused their today while the date in UTC is still yesterday.
    """
    return (utcnow() + timedelta(hours=14)).date()


def partner_count_problem(kind: str, count: int) -> str | None:
    """Why ``count`` partners do not fit a case of ``kind``, or None if they do."""
    fewest, most = PARTNER_LIMITS[CaseKind(kind)]
    if fewest <= count <= most:
        return None
    if kind == CaseKind.COUPLE:
        return "A couple case has exactly two partners."
    if kind == CaseKind.INDIVIDUAL:
        return "An individual case has exactly one person."
    return f"A family case has between {fewest} and {most} people."


def next_reference(after: str | None = None) -> str:
    """The next case reference (``C-0043``): one above the highest in use and above ``after``."""
    number = max(_highest_reference_number(), _reference_number(after) or 0) + 1
    return f"{REFERENCE_PREFIX}{number:04d}"


def _reference_number(reference: str | None) -> int | None:
    if not reference or not reference.startswith(REFERENCE_PREFIX):
        return None
    digits = reference[len(REFERENCE_PREFIX) :]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _highest_reference_number() -> int:
    # Longest first, then highest, so that C-10000 ranks above C-9999; a few non-numeric
    # references of the same shape are skipped.
    candidates = db.scalars(
        select(Case.reference)
        .where(Case.reference.like(f"{REFERENCE_PREFIX}%"))
        .order_by(func.length(Case.reference).desc(), Case.reference.desc())
        .limit(20)
    )
    for reference in candidates:
        number = _reference_number(reference)
        if number is not None:
            return number
    return 0


def _check_text(label: str, value: str) -> None:
    if len(value) > MAX_TEXT_LENGTH:
        raise CaseError(f"{label} can be at most {MAX_TEXT_LENGTH:,} characters.")


def _check_referral(data: CaseEdit) -> None:
    for label, value, most in (
        ("The referrer's name", data.referrer_name, MAX_REFERRER_NAME_LENGTH),
        (
            "The referrer's organisation",
            data.referrer_organisation,
            MAX_REFERRER_ORGANISATION_LENGTH,
        ),
    ):
        if len(value) > most:
            raise CaseError(f"{label} can be at most {most} characters.")
    _check_text("The referral question", data.referral_question)


def _check_stage(stage: int | None) -> None:
    if problem := eft.stage_problem(stage):
        raise CaseError(problem)


def _check_partner(details: PartnerDetails) -> None:
    name = details.display_name.strip()
    if not name:
        raise CaseError(_("Every partner needs a first name or initials."))
    if len(name) > MAX_NAME_LENGTH:
        raise CaseError(f"A partner's name can be at most {MAX_NAME_LENGTH} characters.")
    if details.pronouns and len(details.pronouns.strip()) > MAX_PRONOUNS_LENGTH:
        raise CaseError(f"Pronouns can be at most {MAX_PRONOUNS_LENGTH} characters.")
    if details.cycle_role not in set(CycleRole):
        raise CaseError(_("The cycle role is pursuer, withdrawer, mixed or unclear."))


def _apply_partner(partner: Partner, details: PartnerDetails) -> list[str]:
    """Copy ``details`` onto ``partner``; the names of the attributes that changed."""
    changed = []
    values = {
        "display_name": details.display_name.strip(),
        "pronouns": (details.pronouns or "").strip() or None,
        "cycle_role": str(details.cycle_role),
    }
    for name, value in values.items():
        if getattr(partner, name) != value:
            setattr(partner, name, value)
            changed.append(name)
    return changed


@atomic
def open_case(counsellor: StaffMember, data: NewCase) -> Case:
    """Open a case for ``counsellor`` with the next free reference; flushes and audits.

    Raises CaseError for someone who carries no caseload, a date in the future, too many or
    too few partners for the kind, an invalid field, or when no free reference was found.
    """
    if not may_open_cases(counsellor):
        raise CaseError(_("Only counsellors and supervisors open cases, for their own caseload."))
    if data.kind not in set(CaseKind):
        raise CaseError(_("The kind of case is couple, individual or family."))
    if data.opened_on > latest_opening_date():
        raise CaseError(_("The opening date cannot be in the future."))
    _check_text("Presenting concerns", data.presenting_concerns)
    _check_text("Goals", data.goals)
    _check_stage(data.eft_stage)
    problem = partner_count_problem(data.kind, len(data.partners))
    if problem:
        raise CaseError(problem)
    for details in data.partners:
        _check_partner(details)
    if eft_kinds.needs_reason(data.eft_stage, None, ()) and not data.stage_reason.strip():
        # A new case has no change events: a later stage needs the counsellor's reason.
        missing = eft_kinds.missing_events(data.eft_stage, ())
        message = gates.refusal_message(data.eft_stage or 0, missing)
        raise gates.StageGateRefused(message, fields={gates.REASON_FIELD: message})

    reference = None
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = next_reference(after=reference)
        case = Case(
            reference=reference,
            kind=data.kind,
            counsellor=counsellor,
            status=CaseStatus.ACTIVE,
            opened_on=data.opened_on,
            presenting_concerns=data.presenting_concerns,
            goals=data.goals,
            eft_stage=data.eft_stage,
        )
        for position, details in enumerate(data.partners):
            partner = Partner(position=position)
            _apply_partner(partner, details)
            case.partners.append(partner)
        try:
            # A savepoint, so that a taken reference undoes this attempt only.
            with db.begin_nested():
                db.add(case)
        except IntegrityError:
            continue
        audit.record(
            "case_created",
            obj=case,
            detail={"reference": case.reference, "kind": case.kind, "partners": len(data.partners)},
        )
        gates.check_case_stage(case, data.eft_stage, data.stage_reason, in_force=None)
        return case
    raise CaseError(_("No free case reference could be assigned just now. Please try again."))


def editable_values(case: Case) -> CaseEdit:
    """The case's editable fields as stored now."""
    return CaseEdit(
        presenting_concerns=case.presenting_concerns,
        goals=case.goals,
        eft_stage=case.eft_stage,
        partners={
            p.id: PartnerDetails(p.display_name, p.pronouns, p.cycle_role) for p in case.partners
        },
        referrer_name=case.referrer_name,
        referrer_organisation=case.referrer_organisation,
        referral_question=case.referral_question,
    )


@atomic
def update_case(case: Case, data: CaseEdit, expected_version: int) -> list[str]:
    """Save the edited fields if the case is still at ``expected_version``; audits the change.

    Returns the names of the fields that changed (empty when nothing did). Raises
    VersionConflict when the case was saved since, CaseError for invalid values or a partner
    of another case.
    """
    _check_text("Presenting concerns", data.presenting_concerns)
    _check_text("Goals", data.goals)
    _check_stage(data.eft_stage)
    _check_referral(data)
    partners = {p.id: p for p in case.partners}
    if not set(data.partners) <= set(partners):
        raise CaseError(_("One of the partners does not belong to this case."))
    for details in data.partners.values():
        _check_partner(details)
    if case.version != expected_version:
        raise VersionConflict(editable_values(case), case.version)
    if data.eft_stage != case.eft_stage:
        gates.check_case_stage(case, data.eft_stage, data.stage_reason)

    changed: list[str] = []
    try:
        # A savepoint of its own: a concurrent save detected at flush spoils the savepoint it
        # happens in, and the case must be reloaded (outside it) to report what is saved now.
        with db.begin_nested():
            for name in CASE_EDIT_FIELDS:
                value = getattr(data, name)
                if getattr(case, name) != value:
                    setattr(case, name, value)
                    changed.append(name)
            for partner_id, details in data.partners.items():
                for name in _apply_partner(partners[partner_id], details):
                    changed.append(f"partner:{partner_id}:{name}")
            if changed:
                # Touch the case row even when only partners changed, so its version moves on
                # and other open edit forms learn of the change.
                case.updated_at = utcnow()
    except StaleDataError:
        db.refresh(case)
        raise VersionConflict(editable_values(case), case.version) from None
    if changed:
        audit.record("case_updated", obj=case, detail={"fields": changed})
        # Concerns, goals, the EFT stage and the partners' names all show in its reports.
        case_record_changed.send(case, what="case")
    return changed


@atomic
def add_partner(case: Case, data: PartnerDetails) -> Partner:
    """Add a person to ``case`` after the others; flushes and audits.

    Raises CaseError when the case already holds as many people as its kind allows, or for an
    invalid field.
    """
    _fewest, most = PARTNER_LIMITS[CaseKind(case.kind)]
    if len(case.partners) >= most:
        if case.kind == CaseKind.COUPLE:
            raise CaseError(_("A couple case already has its two partners."))
        if case.kind == CaseKind.INDIVIDUAL:
            raise CaseError(_("An individual case has one person only."))
        raise CaseError(f"A family case holds at most {most} people.")
    _check_partner(data)
    position = max((p.position for p in case.partners), default=-1) + 1
    partner = Partner(position=position)
    _apply_partner(partner, data)
    case.partners.append(partner)
    case.updated_at = utcnow()  # moves the version on, as any change to the case does
    db.flush()
    audit.record("partner_added", obj=partner, case_id=case.id, detail={"partner_id": partner.id})
    case_record_changed.send(case, what="partner")
    return partner


def legal_actions(case: Case) -> list[str]:
    """The status changes open to ``case`` now, in the order they are offered."""
    return [action for action, (sources, _, _) in TRANSITIONS.items() if case.status in sources]


@atomic
def change_status(case: Case, action: str, reason: str) -> None:
    """Pause, close or reopen ``case`` for ``reason``; flushes and audits.

    Closing sets the closing date to today; reopening clears it. Raises CaseError for an
    unknown action, a transition the current status does not allow, or a missing or
    over-long reason.
    """
    if action not in TRANSITIONS:
        raise CaseError(_("Choose whether to pause, close or reopen the case."))
    reason = reason.strip()
    if not reason:
        raise CaseError(_("Give a reason for the change."))
    if len(reason) > MAX_REASON_LENGTH:
        raise CaseError(f"The reason can be at most {MAX_REASON_LENGTH} characters.")
    sources, target, past = TRANSITIONS[action]
    if case.status not in sources:
        raise CaseError(f"This case is {case.status}; it cannot be {past}.")
    before = case.status
    case.status = target
    case.status_reason = reason
    if target == CaseStatus.CLOSED:
        case.closed_on = today()
    elif target == CaseStatus.ACTIVE:
        case.closed_on = None
    db.flush()
    # The reason may describe the clients, so only the statuses go to the audit log.
    audit.record("case_status_changed", obj=case, detail={"from": before, "to": target.value})
    # The status shows in the reports, and closing or reopening moves the default period's end.
    case_record_changed.send(case, what="status")


def has_room_for_partner(case: Case) -> bool:
    """Whether ``case`` holds fewer people than its kind allows."""
    return len(case.partners) < PARTNER_LIMITS[CaseKind(case.kind)][1]


def differences(saved: CaseEdit, mine: CaseEdit) -> list[tuple[str, str, str]]:
    """(field, saved value, my value) for each field where an edit and the stored case differ."""

    rows = []
    if saved.presenting_concerns != mine.presenting_concerns:
        rows.append(("Presenting concerns", saved.presenting_concerns, mine.presenting_concerns))
    if saved.goals != mine.goals:
        rows.append(("Goals", saved.goals, mine.goals))
    if saved.eft_stage != mine.eft_stage:
        rows.append(("EFT stage", eft.label(saved.eft_stage), eft.label(mine.eft_stage)))
    for name, label in (
        ("referrer_name", "Referred by"),
        ("referrer_organisation", "Referrer's organisation"),
        ("referral_question", "Referral question"),
    ):
        if getattr(saved, name) != getattr(mine, name):
            rows.append((label, getattr(saved, name), getattr(mine, name)))
    for number, (partner_id, stored) in enumerate(saved.partners.items(), start=1):
        edited = mine.partners.get(partner_id)
        if edited is None:
            continue
        for name, label in (
            ("display_name", "name"),
            ("pronouns", "pronouns"),
            ("cycle_role", "cycle role"),
        ):
            before, after = getattr(stored, name) or "", getattr(edited, name) or ""
            if name == "cycle_role":
                before, after = before.capitalize(), after.capitalize()
            if before != after:
                rows.append((f"Person {number}: {label}", before, after))
    return rows
