"""Scripts given to partners and how they take them up, and the CSI-4 scores they report.

Adoption follows the case's plan (:class:`~practice.demo.builder.plans.PlannedScript`) and is
judged by the rules' own module (``practice.scripts.adoption``); CSI-4 totals move from intake to
the planned end and are split into items within ``practice.measures.csi4``'s ranges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from practice.cases.models import CaseKind
from practice.demo.builder.plans import CasePlan
from practice.demo.builder.rows import RowBuffer
from practice.demo.story.cast import Person
from practice.demo.story.contexts import NO_OPPORTUNITY_NOTES, observation_note
from practice.demo.story.notes import ScriptEvent
from practice.demo.vocabulary import ScriptRow
from practice.measures import csi4
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.scripts import adoption
from practice.scripts.models import AssignmentStatus, ScriptAssignment, ScriptObservation

# --- Scripts ---------------------------------------------------------------------------------


@dataclass
class Assignment:
    """A planned script of one partner, and how far it has come so far."""

    id: int  # 0 until it is assigned
    person: Person
    script: ScriptRow
    assign_index: int
    adopt_after: int | None  # observations before it is used spontaneously; None: never
    retire_after: int | None  # observations before the assignment is retired
    lapse_after: int | None = None  # observations after which it slips back; None: never
    row: dict = field(default_factory=dict)  # its buffered row, retired in place
    observations: int = 0
    level: int = 0
    retired: bool = False


def assignments(plan: CasePlan, people: list[Person]) -> list[Assignment]:
    """The case's planned scripts, none of them assigned yet."""
    return [
        Assignment(
            id=0,
            person=people[person_index],
            script=script,
            assign_index=assign_index,
            adopt_after=adopt_after,
            retire_after=retire_after,
            lapse_after=lapse_after,
        )
        for person_index, script, assign_index, adopt_after, retire_after, lapse_after in (
            plan.scripts
        )
        if person_index < len(people)
    ]


def adopted_scripts(assignments: list[Assignment]) -> dict[int, str]:
    """The text of the script each partner has adopted and still practises, by partner id."""
    return {
        a.person.id: a.script.text
        for a in assignments
        if not a.retired and a.level >= adoption.ADOPTED_LEVEL
    }


class ScriptTracker:
    """Buffers script assignments and their observations, session by session."""

    def __init__(self, rng: random.Random, rows: RowBuffer) -> None:
        self.rng = rng
        self.rows = rows

    def observe(
        self,
        case_id: int,
        session_id: int,
        index: int,
        ends_at: datetime,
        assignments: list[Assignment],
        attendees: list[Person],
        thing: str,
    ) -> list[ScriptEvent]:
        """Assign, observe and retire scripts at the session at ``index``; returns what
        happened. ``thing``: what the session was about, for the observation notes."""
        rng = self.rng
        events = []
        for assignment in assignments:
            if assignment.retired or index < assignment.assign_index:
                continue
            if index == assignment.assign_index:
                assignment.id = self.rows.ids.take(ScriptAssignment)
                assignment.row = {
                    "id": assignment.id,
                    "case_id": case_id,
                    "partner_id": assignment.person.id,
                    "script_id": assignment.script.id,
                    "assigned_session_id": session_id,
                    "status": AssignmentStatus.ACTIVE,
                    "retired_session_id": None,
                    "retired_at": None,
                    "created_at": ends_at,
                }
                self.rows.add(ScriptAssignment, assignment.row)
                events.append(_event("assigned", assignment))
                continue
            present = assignment.person in attendees
            # Sessions a partner missed still move the plan on, as they always have: the
            # demo's draws stay in the same order, so the rest of the practice is unchanged.
            earlier = assignment.observations
            assignment.observations += 1
            if not present:
                # From the attendance: "partner absent", never a level 0.
                status, level, note = adoption.ABSENT, None, ""
            else:
                level = heard = _adoption_level(rng, earlier, assignment.adopt_after)
                if assignment.lapse_after is not None and earlier >= assignment.lapse_after:
                    # Slipping back: prompted at best (the same draws, so nothing else moves).
                    level = max(0, min(level, adoption.ADOPTED_LEVEL) - 1)
                note = observation_note(rng, level, assignment.person.name, thing)
                status = adoption.OBSERVED
                if note in NO_OPPORTUNITY_NOTES:
                    # A level 0 noted as "did not come up": the session gave no opportunity.
                    status, level = adoption.NO_OPPORTUNITY, None
            # What the partner can be heard using in the session's moments: a lapsing script
            # still comes up when prompted. (An absent partner, as before, uses nothing.)
            assignment.level = heard if present else 0
            self.rows.add(
                ScriptObservation,
                {
                    "id": self.rows.ids.take(ScriptObservation),
                    "assignment_id": assignment.id,
                    "session_id": session_id,
                    "status": status,
                    "level": level,
                    "note": note,
                    "recorded_at": ends_at + timedelta(minutes=5),
                },
            )
            events.append(_event("observed", assignment))
            if assignment.retire_after is not None and assignment.observations >= (
                assignment.retire_after
            ):
                # The row is still buffered: a case is written out as a whole.
                assignment.retired = True
                assignment.row["status"] = AssignmentStatus.RETIRED
                assignment.row["retired_session_id"] = session_id
                assignment.row["retired_at"] = ends_at
                events.append(_event("retired", assignment))
        return events


def _event(what: str, assignment: Assignment) -> ScriptEvent:
    return ScriptEvent(what, assignment.person.name, assignment.script.text)


def _adoption_level(rng: random.Random, earlier: int, adopt_after: int | None) -> int:
    """The level at a script's observation after ``earlier`` ones, for a script adopted after
    ``adopt_after`` observations (None: never)."""
    if adopt_after is None:
        return 1 if rng.random() < min(0.6, 0.15 + 0.06 * earlier) else 0
    if earlier < adopt_after:
        return 1 if rng.random() < 0.3 + 0.6 * earlier / max(1, adopt_after) else 0
    if earlier <= adopt_after + 1:
        # Two observations in a row at the adopted level: adopted at the first of them.
        return adoption.ADOPTED_LEVEL
    if rng.random() < 0.1:
        return 1
    return 3 if rng.random() < min(0.7, 0.2 + 0.08 * (earlier - adopt_after)) else 2


# --- Measures --------------------------------------------------------------------------------


def sessions_measured(plan: CasePlan) -> set[int]:
    """The sessions (0-based) at which a couple fills in the CSI-4: every fourth, and the last
    of a longer case; none for other cases."""
    if plan.kind != CaseKind.COUPLE:
        return set()
    measured = set(range(0, plan.n_sessions, 4))
    if plan.n_sessions > 6:
        measured.add(plan.n_sessions - 1)
    return measured


class MeasureRecorder:
    """Buffers the CSI-4 responses of the partners present at a session."""

    def __init__(self, rng: random.Random, rows: RowBuffer) -> None:
        self.rng = rng
        self.rows = rows

    def record(
        self,
        plan: CasePlan,
        session_id: int,
        index: int,
        ends_at: datetime,
        attendees: list[Person],
        people: list[Person],
        measured_at: set[int],
        counsellor_id: int,
    ) -> list[tuple[Person, int]]:
        """Buffer the CSI-4 of each person present at the session at ``index`` if it is one of
        ``measured_at``; returns (person, total) for each."""
        if index not in measured_at:
            return []
        rng = self.rng
        span = max(1, min(plan.n_sessions - 1, plan.sessions_to_change + 4))
        progress = min(1.0, index / span)
        measured = []
        for position, person in enumerate(people):
            if person not in attendees:
                continue
            start, end = plan.csi_start[position], plan.csi_end[position]
            wobble = 0 if plan.showcase else round(rng.gauss(0, 1.0))
            total = round(start + (end - start) * progress) + wobble
            total = max(csi4.CSI4_MIN_TOTAL, min(csi4.CSI4_MAX_TOTAL, total))
            items = _csi4_items(rng, total)
            self.rows.add(
                MeasureResponse,
                {
                    "id": self.rows.ids.take(MeasureResponse),
                    "session_id": session_id,
                    "partner_id": person.id,
                    "measure": CSI4_MEASURE,
                    "items": items,
                    "total": csi4.csi4_total(items),
                    "recorded_by_id": counsellor_id,
                    "recorded_at": ends_at,
                },
            )
            measured.append((person, total))
        return measured


def _csi4_items(rng: random.Random, total: int) -> list[int]:
    """Four CSI-4 item scores within their ranges that add up to ``total``."""
    minima = [item.minimum for item in csi4.CSI4_ITEMS]
    maxima = [item.maximum for item in csi4.CSI4_ITEMS]
    items = [min(m, round(total * m / csi4.CSI4_MAX_TOTAL)) for m in maxima]
    order = list(range(len(items)))
    while sum(items) != total:
        rng.shuffle(order)
        step = 1 if sum(items) < total else -1
        for i in order:
            if minima[i] <= items[i] + step <= maxima[i]:
                items[i] += step
                break
    # Move a point between two items now and then so the answers do not look mechanical.
    if rng.random() < 0.5:
        i, k = rng.sample(range(len(items)), 2)
        if items[i] > minima[i] and items[k] < maxima[k]:
            items[i] -= 1
            items[k] += 1
    return items
