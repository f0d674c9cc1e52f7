"""The story told session by session: a case's DAP notes (data, assessment, plan) and addenda.

The notes follow what the builder decided for the session (who came, the moments tagged, the
de-escalation share, the scripts assigned and the CSI-4 scores) in a counsellor's plain language.
Pure text chosen with the demo's ``random.Random``: no database.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import NamedTuple

from practice.cases.models import CaseKind, CaseStatus, CycleRole
from practice.demo.story.cast import STUCK, WORSENING, Person
from practice.measures import csi4
from practice.sessions.models import Modality

ADDENDA = (
    "One partner phoned two days later to say the conversation had continued calmly at home.",
    "Discussed in supervision; agreed to slow the pace of the stage 2 work.",
    "Correction to the plan: the next appointment moved to the following week.",
    "Safety re-checked by phone at the partners' request; no concerns.",
)


class ScriptEvent(NamedTuple):
    """What happened to a partner's script at a session: "assigned", "observed" or "retired"."""

    what: str
    partner_name: str
    script_text: str


class Story:
    """Builds a case's DAP notes from templates that follow its moments and measures."""

    def __init__(
        self,
        rng: random.Random,
        people: list[Person],
        pursuer: Person,
        withdrawer: Person,
        things: list[str],
        *,
        kind: str,
        trajectory: str,
        status: str,
    ) -> None:
        self.rng = rng
        self.people = people
        self.p = pursuer
        self.w = withdrawer
        self.things = things
        self.kind = kind
        self.trajectory = trajectory
        self.status = status
        self.individual = len(people) == 1
        self.clear_roles = (
            pursuer.role == CycleRole.PURSUER and withdrawer.role == CycleRole.WITHDRAWER
        )

    def note(
        self,
        *,
        index: int,
        starts_at: datetime,
        modality: str,
        attendees: list[Person],
        stage: int,
        share: float | None,
        moment_keys: list[str],
        measured: list[tuple[Person, int]],
        script_events: list[ScriptEvent],
        has_scripts: bool,
        last: bool,
    ) -> tuple[str, str, str]:
        """(data, assessment, plan) for one session."""
        rng = self.rng
        thing = rng.choice(self.things)
        p, w = self.p.name, self.w.name
        p_pursues = self.p.role == CycleRole.PURSUER
        everyone = len(attendees) == len(self.people)
        data = [self._attendance_line(modality, attendees, everyone)]
        if index == 0:
            about = {CaseKind.COUPLE: "the relationship", CaseKind.FAMILY: "the family"}.get(
                self.kind, "their relationships"
            )
            data.append(
                f"First session: history of {about}, what brings them now, and a check of "
                "safety and substance use (no concerns disclosed)."
            )
        data.append(
            rng.choice(
                (
                    f"{p if self.individual else 'They'} described a difficult week centred "
                    f"on {thing}.",
                    f"Started with {thing}, which had come up again on {_weekday(starts_at, rng)}.",
                    f"Main topic: {thing}.",
                    f"Picked up where last session ended, around {thing}.",
                )
            )
        )
        keys = set(moment_keys)
        if self.individual:
            data.append(self._individual_line(keys))
        elif everyone:
            if {"pursue", "withdraw"} <= keys:
                data.append(
                    f"When {p} pressed about {thing}, {w} went quiet and looked away; {p} "
                    "followed with a sharper question and the exchange escalated."
                )
            elif "urge_to_leave" in keys or "flooding" in keys:
                data.append(
                    f"{w} became visibly overwhelmed mid-session; we paused and slowed the "
                    "pace before continuing."
                )
            if "softening" in keys or "withdrawer_reengagement" in keys:
                data.append(
                    rng.choice(
                        (
                            f"Later {w} turned back towards {p} and said they wanted to stay "
                            "in the conversation.",
                            f"{p}'s tone softened when talking about feeling alone; {w} "
                            "listened without defending.",
                            f"{w} said quietly that they go silent because they are afraid of "
                            f"getting it wrong; {p} was moved by this.",
                        )
                    )
                )
            if "naming_cycle" in keys:
                data.append("Both named the cycle themselves at one point (\u201cthe dance\u201d).")
        data.append(
            rng.choice(
                (
                    "I slowed the exchanges down and tracked the sequence step by step.",
                    "Reflected the cycle back to them and validated both positions.",
                    "Used enactment: asked each to turn and tell the other what they had "
                    "just said to me.",
                    "Heightened the softer feeling beneath the protest and the shutdown.",
                )
            )
        )
        for event in script_events:
            if event.what == "assigned":
                data.append(
                    f"Introduced the script \u201c{event.script_text}\u201d for "
                    f"{event.partner_name} to practise."
                )
            elif event.what == "retired":
                data.append(
                    f"Stopped tracking \u201c{event.script_text}\u201d for {event.partner_name}."
                )
        if measured:
            scores = ", ".join(f"{person.name} {total}" for person, total in measured)
            data.append(f"CSI-4 completed ({scores}).")

        assessment = [self._balance_line(share), self._stage_line(stage, p, w)]
        if "threat_to_end" in keys:
            assessment.append(
                "Ending the relationship came up when overwhelmed; understood as protest from "
                "overwhelm rather than a decision, but to be revisited calmly."
            )
        below = [person.name for person, total in measured if csi4.csi4_below_cutoff(total)]
        if below:
            assessment.append(f"CSI-4 below the {csi4.CSI4_CUTOFF} cut-off ({_join(below)}).")
        elif measured:
            assessment.append("CSI-4 above the cut-off.")
        if self.trajectory == STUCK and index >= 6 and rng.random() < 0.5:
            assessment.append("Little movement over recent sessions; the cycle looks entrenched.")
        if self.trajectory == WORSENING and index >= 5 and rng.random() < 0.5:
            assessment.append("Escalation more frequent than at intake.")
        if rng.random() < 0.2:
            assessment.append(
                "No safety concerns raised."
                if self.individual
                else "No safety concerns raised; everyone says they feel safe at home."
            )

        fears = (
            f"Next: explore the fear beneath {p}'s {'protest' if p_pursues else 'shutdown'}."
            if self.individual
            else f"Next: explore {w}'s fear of failing and {p}'s fear of being left."
        )
        plan = [
            rng.choice(
                (
                    "Continue to track the cycle and name it as it starts.",
                    "Keep building safety in session before deeper work.",
                    fears,
                    "Practise the agreed scripts at home and report back."
                    if has_scripts
                    else "Notice the cycle at home this week and bring an example.",
                )
            )
        ]
        if stage == 1 and share is not None and share > 0.55 and index >= 4:
            plan.append("Consider moving to stage 2 work over the next sessions.")
        if self.trajectory in (STUCK, WORSENING) and index >= 5 and rng.random() < 0.4:
            plan.append("Bring the case to supervision.")
        if last and self.status == CaseStatus.CLOSED:
            plan.append("Last session before closing; see the case status.")
        else:
            plan.append(
                rng.choice(
                    (
                        "Next session in a week.",
                        "Next session in two weeks (holiday).",
                        "Next session in a week, same time.",
                    )
                )
            )
        return " ".join(data), " ".join(assessment), " ".join(plan)

    def _attendance_line(self, modality: str, attendees: list[Person], everyone: bool) -> str:
        rng = self.rng
        names = _join([person.name for person in attendees])
        if len(self.people) == 1:
            where = {
                Modality.IN_PERSON: "in person",
                Modality.VIDEO: "by video",
                Modality.PHONE: "by phone",
            }[modality]
            return f"{names} attended {where}."
        if not everyone:
            absent = _join([p.name for p in self.people if p not in attendees])
            return rng.choice(
                (
                    f"Individual session with {names} as planned; {absent} not present by "
                    "agreement.",
                    f"{names} attended alone; {absent} cancelled on the day (work).",
                )
            )
        if modality == Modality.VIDEO:
            return rng.choice(
                (
                    f"Video session; {names} joined together from home.",
                    f"Video session with {names}; the connection dropped once, briefly.",
                )
            )
        if modality == Modality.PHONE:
            return f"Phone session with {names} (video not available this week)."
        return rng.choice(
            (
                f"{names} attended in person.",
                f"{names} attended in person, on time.",
                f"{names} arrived separately; started on time.",
            )
        )

    def _individual_line(self, keys: set[str]) -> str:
        name = self.p.name
        if keys & {"pursue", "criticism"}:
            return (
                f"{name} described pressing their partner for an answer and the partner going "
                "quiet; recognised the rising panic before the protest."
            )
        if keys & {"withdraw", "stonewalling", "flooding", "urge_to_leave"}:
            return (
                f"{name} described going silent when their partner was upset, then feeling "
                "ashamed for an evening afterwards."
            )
        return f"{name} reflected on a calmer week and what made the difference."

    def _balance_line(self, share: float | None) -> str:
        p, w = self.p.name, self.w.name
        if share is None:
            return "Quiet session; little of the cycle was visible."
        if self.individual:
            if share < 0.3:
                return f"{p} is still caught in the cycle and mostly sees it after the event."
            if share < 0.6:
                return f"{p} is beginning to notice the pattern as it starts."
            return f"{p} can increasingly notice the urge and choose a softer response."
        if share < 0.3:
            if not self.clear_roles:
                return (
                    "Cycle highly active: both move between reaching and retreating, each "
                    "reading the other's move as rejection."
                )
            return (
                f"Cycle highly active: {p} pursuing, {w} withdrawing, each reading the other's "
                "move as rejection."
            )
        if share < 0.6:
            return (
                "Mixed session: the cycle started several times, but both could step out of it "
                "with help."
            )
        return (
            "Mostly de-escalated: they stayed with difficult feelings without the usual escalation."
        )

    def _stage_line(self, stage: int, p: str, w: str) -> str:
        if self.individual:
            return "Focus: understanding the pattern and the fear underneath it."
        if stage == 1:
            return "Stage 1 (de-escalation): helping both see the cycle as the shared problem."
        if stage == 2:
            return (
                f"Stage 2 (restructuring): {w} beginning to reach for {p}; {p} able to ask "
                "for reassurance without blame."
            )
        return "Stage 3 (consolidation): applying the new pattern to old arguments."


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _weekday(when: datetime, rng: random.Random) -> str:
    """A weekday one to five days before ``when``."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return days[(when.weekday() - rng.randint(1, 5)) % 7]
