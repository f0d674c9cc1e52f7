"""Case plans: the shape of each case (who, how it goes, its scripts), chosen before its
sessions are written.

The plans are drawn from the demo's ``random.Random`` one case at a time, as the builder asks
for them (:meth:`CasePlanner.plans`): the order of the draws is part of what makes a seed give
the same practice every time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from practice.cases.models import CaseKind, CaseStatus, CycleRole
from practice.demo.story.cast import IMPROVING, STUCK, TOPICS, WORSENING, invent_people
from practice.demo.vocabulary import ScriptRow, Vocabulary
from practice.measures import csi4
from practice.scripts.models import ScriptRole

# Case 1 is the showcase: an improving couple with a long history, the same in every demo.
SHOWCASE_NUMBER = 1
SHOWCASE_SESSIONS = 20


def case_reference(number: int) -> str:
    """``C-0001`` for case 1."""
    return f"C-{number:04d}"


SHOWCASE_REFERENCE = case_reference(SHOWCASE_NUMBER)


class PlannedScript(NamedTuple):
    """A script to assign to one of the case's people, and how they will take it up."""

    person_index: int
    script: ScriptRow
    assign_index: int  # the session (0-based) at which it is assigned
    adopt_after: int | None  # observations before it is used spontaneously; None: never
    retire_after: int | None  # observations before the assignment is retired; None: never
    # Observations after which an adopted script slips back below spontaneous use; None: never.
    lapse_after: int | None = None


@dataclass
class CasePlan:
    """The shape of one case, chosen before its sessions are written."""

    reference: str
    kind: str
    trajectory: str
    status: str
    n_sessions: int
    last_offset_days: int  # days between the last session and the demo's today
    topic: int
    people: list[tuple[str, str, str]]  # name, pronouns, cycle role
    share_start: float  # de-escalation share at intake, and once the change has happened
    share_end: float
    sessions_to_change: int
    csi_start: list[int]  # CSI-4 totals of each person at intake, and at the end
    csi_end: list[int]
    video_case: bool = False
    scripts: list[PlannedScript] = field(default_factory=list)
    showcase: bool = False


class CasePlanner:
    """Draws the plans of a practice's cases: the showcase first, then a realistic mix."""

    def __init__(self, rng: random.Random, vocabulary: Vocabulary, mean_sessions: int) -> None:
        self.rng = rng
        self.vocabulary = vocabulary
        self.mean_sessions = mean_sessions
        # One adopted script in the practice lapses (the first that can): it happens.
        self.lapse_planned = False

    def plans(self, n_cases: int) -> Iterator[CasePlan]:
        """The plans of cases 1 to ``n_cases``, each drawn when it is asked for."""
        rng = self.rng
        others = n_cases - 1
        trajectories = _spread(rng, others, {IMPROVING: 0.70, STUCK: 0.15, WORSENING: 0.15})
        statuses = _spread(
            rng,
            others,
            {CaseStatus.ACTIVE: 0.80, CaseStatus.PAUSED: 0.075, CaseStatus.CLOSED: 0.125},
        )
        kinds = _spread(
            rng, others, {CaseKind.COUPLE: 0.90, CaseKind.INDIVIDUAL: 0.05, CaseKind.FAMILY: 0.05}
        )
        for number in range(1, n_cases + 1):
            reference = case_reference(number)
            if number == SHOWCASE_NUMBER:
                yield self._showcase(reference)
            else:
                i = number - 2
                yield self._random(reference, kinds[i], trajectories[i], statuses[i])

    def _showcase(self, reference: str) -> CasePlan:
        """C-0001: an improving couple whose two scripts are adopted at different sessions."""
        n_sessions = max(SHOWCASE_SESSIONS, self.mean_sessions)
        return CasePlan(
            reference=reference,
            kind=CaseKind.COUPLE,
            trajectory=IMPROVING,
            status=CaseStatus.ACTIVE,
            n_sessions=n_sessions,
            last_offset_days=4,
            topic=0,
            people=[
                ("Maya", "she/her", CycleRole.PURSUER),
                ("Tom", "he/him", CycleRole.WITHDRAWER),
            ],
            share_start=0.15,
            share_end=0.8,
            sessions_to_change=14,
            csi_start=[8, 10],
            csi_end=[17, 16],
            # Tom's script from session 3, adopted at session 8; Maya's from session 4, at 12.
            scripts=[
                PlannedScript(1, self.vocabulary.withdrawer_script, 2, 4, None),
                PlannedScript(0, self.vocabulary.pursuer_script, 3, 7, None),
            ],
            showcase=True,
        )

    def _random(self, reference: str, kind: str, trajectory: str, status: str) -> CasePlan:
        """A case of ``kind`` going the way of ``trajectory``, now ``status``."""
        rng = self.rng
        mean = self.mean_sessions
        n_sessions = max(3, round(rng.triangular(0.3 * mean, 1.7 * mean, mean)))
        if status == CaseStatus.ACTIVE:
            roll = rng.random()
            if roll < 0.08:
                last_offset = rng.randint(22, 34)  # overdue: no session for three weeks
            elif roll < 0.85:
                last_offset = rng.randint(1, 8)
            else:
                last_offset = rng.randint(9, 20)
        elif status == CaseStatus.PAUSED:
            last_offset = rng.randint(25, 70)
        else:
            span = int(n_sessions * 8.5)
            last_offset = rng.randint(14, max(14, 270 - span))
        people = invent_people(rng, kind)
        if trajectory == IMPROVING:
            share_start, share_end = rng.uniform(0.1, 0.3), rng.uniform(0.6, 0.85)
        elif trajectory == STUCK:
            share_start = rng.uniform(0.15, 0.35)
            share_end = share_start + rng.uniform(-0.05, 0.05)
        else:
            share_start, share_end = rng.uniform(0.35, 0.55), rng.uniform(0.08, 0.2)
        csi_start, csi_end = [], []
        for _ in people:
            if trajectory == IMPROVING:
                start = rng.randint(14, 16) if rng.random() < 0.15 else rng.randint(5, 12)
                end = min(csi4.CSI4_MAX_TOTAL, max(start + 3, rng.randint(14, 19)))
            elif trajectory == STUCK:
                start = rng.randint(7, 13)
                end = start + rng.randint(-2, 1)
            else:
                start = rng.randint(9, 15)
                # Reliably worse, often into severe distress, but rarely at the scale's floor.
                end = max(4, start - rng.randint(5, 8))
            csi_start.append(start)
            csi_end.append(end)
        plan = CasePlan(
            reference=reference,
            kind=kind,
            trajectory=trajectory,
            status=status,
            n_sessions=n_sessions,
            last_offset_days=last_offset,
            topic=rng.randrange(len(TOPICS)),
            people=people,
            share_start=share_start,
            share_end=share_end,
            sessions_to_change=rng.randint(10, 18),
            csi_start=csi_start,
            csi_end=csi_end,
            video_case=rng.random() < 0.2,
        )
        plan.scripts = self._scripts(plan)
        return plan

    def _scripts(self, plan: CasePlan) -> list[PlannedScript]:
        """The scripts the case's people will be given: theirs by cycle role, now and then one
        for either role, at most three."""
        rng = self.rng
        if plan.n_sessions < 4:
            return []
        roles = [role for _, _, role in plan.people]
        wanted: list[tuple[int, ScriptRow]] = []
        either = list(self.vocabulary.by_role[ScriptRole.EITHER])
        rng.shuffle(either)
        for index, role in enumerate(roles):
            if role == CycleRole.WITHDRAWER and rng.random() < 0.85:
                wanted.append((index, self.vocabulary.withdrawer_script))
            elif role == CycleRole.PURSUER and rng.random() < 0.85:
                wanted.append((index, self.vocabulary.pursuer_script))
        extra = 1 if not wanted else (1 if rng.random() < 0.35 else 0)
        for script in either[:extra]:
            wanted.append((rng.randrange(len(roles)), script))
        wanted = wanted[:3]
        # Couples who improve mostly take up their scripts within a few sessions: a script not
        # adopted after six observed sessions is a supervisor's flag, and the demo's flags must
        # be the exception a supervisor can explain, not the rule.
        paces = {
            IMPROVING: ((0.80, "early"), (0.15, "late"), (0.05, "never")),
            STUCK: ((0.10, "early"), (0.40, "late"), (0.50, "never")),
            WORSENING: ((0.0, "early"), (0.30, "late"), (0.70, "never")),
        }[plan.trajectory]
        planned = []
        first = rng.randint(1, min(4, plan.n_sessions - 2))
        for person_index, script in wanted:
            assign_index = min(plan.n_sessions - 2, first + rng.randint(0, 2))
            pace = rng.choices([p for _, p in paces], [w for w, _ in paces])[0]
            # Both draws are made whatever the pace: they are part of the seed's sequence.
            adopt_after = {"early": rng.randint(1, 3), "late": rng.randint(5, 10), "never": None}[
                pace
            ]
            retire_after = None
            if rng.random() < 0.12:
                # Retired: either never taken up, or well established and no longer tracked.
                retire_after = rng.randint(5, 8) if adopt_after is None else adopt_after + 5
            planned.append(
                PlannedScript(
                    person_index,
                    script,
                    assign_index,
                    adopt_after,
                    retire_after,
                    self._lapse(plan, assign_index, adopt_after, retire_after),
                )
            )
        return planned

    def _lapse(
        self, plan: CasePlan, assign_index: int, adopt_after: int | None, retire_after: int | None
    ) -> int | None:
        """When the practice's one lapsing script slips back: the first script adopted in a
        case that is not improving, with room for the adopting pair, a session of use and its
        last three observations below spontaneous use. No draw: the seed's sequence is kept."""
        if self.lapse_planned or plan.trajectory == IMPROVING:
            return None
        if adopt_after is None or retire_after is not None:
            return None
        observations = plan.n_sessions - 1 - assign_index
        lapse_after = observations - 3
        if lapse_after < adopt_after + 3:
            return None
        self.lapse_planned = True
        return lapse_after


def _spread(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """``n`` labels in the given proportions (largest remainders), shuffled."""
    exact = {label: share * n for label, share in shares.items()}
    counts = {label: math.floor(value) for label, value in exact.items()}
    by_remainder = sorted(exact, key=lambda label: exact[label] - counts[label], reverse=True)
    for label in by_remainder[: n - sum(counts.values())]:
        counts[label] += 1
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    return labels
