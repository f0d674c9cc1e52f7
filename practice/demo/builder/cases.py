"""The builder: writes the demo's cases one at a time, each with its partners and its sessions.

For every case it draws a plan (:mod:`~practice.demo.builder.plans`), schedules its sessions,
and writes each session in this order: its length and modality, who came, the scripts observed,
the moments tagged, the CSI-4 scores, and the note that tells of them (:mod:`practice.demo.story`).
Everything comes from one ``random.Random`` in that fixed order and every date from the ``now`` it
is given, so one seed gives the same practice every time; reordering the draws changes the
practice (``tests/test_demo.py`` pins it). Rows are written in bulk
(:mod:`~practice.demo.builder.rows`).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from practice.breaks.models import BreakAccount, BreakEpisode
from practice.cases.models import Case, CaseKind, CaseStatus, CycleRole, Partner
from practice.demo.builder import scripts_and_measures
from practice.demo.builder.breaks import BreakWriter
from practice.demo.builder.plans import CasePlan, CasePlanner
from practice.demo.builder.rows import RowBuffer
from practice.demo.builder.scripts_and_measures import Assignment, MeasureRecorder, ScriptTracker
from practice.demo.builder.sessions import SessionWriter
from practice.demo.builder.staff import Counsellor
from practice.demo.story import cast, referrals
from practice.demo.story.cast import IMPROVING, Person
from practice.demo.story.notes import Story
from practice.demo.vocabulary import Vocabulary
from practice.measures.consent import ShareAudience
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.moments import balance
from practice.moments.models import Moment
from practice.safety.models import SafetyScreen
from practice.safety.screening import ScreenDecision
from practice.scripts.models import ScriptAssignment, ScriptObservation
from practice.sessions.models import Addendum, TherapySession, session_attendance

# The tables the demo fills, parents before children.
TABLES = (
    Case,
    Partner,
    ScoreSharingConsent,
    SafetyScreen,
    TherapySession,
    session_attendance,
    ScriptAssignment,
    Moment,
    ScriptObservation,
    MeasureResponse,
    Addendum,
    BreakEpisode,
    BreakAccount,
)
# Sessions generated before the buffered rows are written out (always between two cases).
_FLUSH_SESSIONS = 2_000
# A couple is screened again once its last screen is this old at a coming session, so that
# every joint session falls within the 90 days a screen covers.
_RESCREEN_AFTER_DAYS = 80


@dataclass
class _CaseInProgress:
    """A case being written: what each of its sessions needs to know."""

    id: int
    plan: CasePlan
    counsellor: Counsellor
    people: list[Person]
    pursuer: Person
    withdrawer: Person
    things: list[str]
    assignments: list[Assignment]
    measured_at: set[int]
    story: Story


class PracticeBuilder:
    """Generates cases with their sessions and writes them out in bulk."""

    def __init__(
        self, rng: random.Random, vocabulary: Vocabulary, sessions_per_case: int, now: datetime
    ) -> None:
        """``now``: the moment the practice is seen from; every session is before it."""
        self.rng = rng
        self.vocabulary = vocabulary
        self.now = now
        self.today = now.date()
        self.rows = RowBuffer(TABLES)
        self.planner = CasePlanner(rng, vocabulary, sessions_per_case)
        self.sessions = SessionWriter(rng, self.rows, vocabulary, now)
        self.scripts = ScriptTracker(rng, self.rows)
        self.measures = MeasureRecorder(rng, self.rows)
        self.breaks = BreakWriter(self.rows, now)
        # One couple works jointly with a safety plan (the first stuck or worsening one).
        self.safety_plan_case: int | None = None

    def build_cases(self, n_cases: int, counsellors: list[Counsellor]) -> None:
        """Write ``n_cases`` cases, dealt to ``counsellors`` in turn."""
        for number, plan in enumerate(self.planner.plans(n_cases), start=1):
            self._write_case(plan, counsellors[(number - 1) % len(counsellors)])
            if len(self.rows.waiting[TherapySession]) >= _FLUSH_SESSIONS:
                self.rows.flush()

    def finish(self) -> None:
        """Write the rows still buffered; flushes."""
        self.rows.finish()

    def _write_case(self, plan: CasePlan, counsellor: Counsellor) -> None:
        rng = self.rng
        case_id = self.rows.ids.take(Case)
        people = [
            Person(self.rows.ids.take(Partner), name, pronouns, role, position)
            for position, (name, pronouns, role) in enumerate(plan.people)
        ]
        pursuer = next((p for p in people if p.role == CycleRole.PURSUER), people[0])
        withdrawer = next((p for p in people if p.role == CycleRole.WITHDRAWER), people[-1])
        concern, goals, things = cast.presenting(rng, plan.kind, plan.topic, people)
        starts = self._session_times(plan)
        opened_on = starts[0].date() - timedelta(days=rng.randint(3, 12))
        closed_on = None
        if plan.status == CaseStatus.CLOSED:
            closed_on = min(self.today, starts[-1].date() + timedelta(days=rng.randint(5, 15)))
        status_reason = cast.status_reason(rng, plan.kind, plan.trajectory, plan.status, people)
        case = _CaseInProgress(
            id=case_id,
            plan=plan,
            counsellor=counsellor,
            people=people,
            pursuer=pursuer,
            withdrawer=withdrawer,
            things=things,
            assignments=scripts_and_measures.assignments(plan, people),
            measured_at=scripts_and_measures.sessions_measured(plan),
            story=Story(
                rng,
                people,
                pursuer,
                withdrawer,
                things,
                kind=plan.kind,
                trajectory=plan.trajectory,
                status=plan.status,
            ),
        )
        stage = 1
        first_session_id = self.rows.ids.next[TherapySession]
        for index, starts_at in enumerate(starts):
            stage = self._write_session(
                case,
                index,
                starts_at,
                stage,
                last=index == len(starts) - 1,
                second_last=index == len(starts) - 2,
            )
        self.rows.add(
            Case,
            {
                "id": case_id,
                "reference": plan.reference,
                "kind": plan.kind,
                "counsellor_id": counsellor.id,
                "status": plan.status,
                "status_reason": status_reason,
                "opened_on": opened_on,
                "closed_on": closed_on,
                "presenting_concerns": concern,
                "goals": "\n".join(goals),
                **referrals.referral(case_id, plan.kind),
                "eft_stage": stage,
                "version": 1,
                "created_at": _at(opened_on, 9),
                "updated_at": min(self.now, starts[-1] + timedelta(hours=2)),
            },
        )
        for person in people:
            self.rows.add(
                Partner,
                {
                    "id": person.id,
                    "case_id": case_id,
                    "display_name": person.name,
                    "pronouns": person.pronouns,
                    "cycle_role": person.role,
                    "position": person.position,
                },
            )
        self._write_consents(case_id, people, opened_on, counsellor)
        self.breaks.write(
            case_id, plan, pursuer, withdrawer, starts, first_session_id, counsellor.id
        )
        if plan.kind == CaseKind.COUPLE:
            self._write_screens(case_id, plan, people, opened_on, starts, counsellor)

    def _write_screens(
        self,
        case_id: int,
        plan: CasePlan,
        people: list[Person],
        opened_on: date,
        starts: list[datetime],
        counsellor: Counsellor,
    ) -> None:
        """Each partner's safety screen, taken alone: at intake, before the first session, and
        again after a session whenever the last screen would be over 80 days old at the next,
        so every joint note was signed with current screens. Drawn from a generator of the
        case's own, so the story's random draws stay as they were. Most partners answer
        "never" or "rarely" and work jointly; the first stuck or worsening couple (not the
        showcase) works jointly with a safety plan, one partner having been afraid."""
        rng = random.Random(case_id * 7919 + 2026)
        with_plan = (
            self.safety_plan_case is None and not plan.showcase and plan.trajectory != IMPROVING
        )
        if with_plan:
            self.safety_plan_case = case_id
        days = [opened_on]
        for previous, coming in itertools.pairwise(starts):
            if (coming.date() - days[-1]).days > _RESCREEN_AFTER_DAYS:
                days.append(previous.date())
        for number, day in enumerate(days):
            recorded_at = min(self.now, _at(day, 10 if number == 0 else 20))
            for person in people:
                items = [rng.choices((1, 2), (85, 15))[0] for _ in range(4)]
                afraid, decision = False, ScreenDecision.JOINT_OK
                if with_plan:
                    decision = ScreenDecision.JOINT_WITH_PLAN
                    if person.position == 0:
                        # Insulted sometimes, screamed at fairly often; afraid at intake.
                        items = [1, 3, 2, 4] if number == 0 else [1, 3, 1, 3]
                        afraid = number == 0
                self.rows.add(
                    SafetyScreen,
                    {
                        "id": self.rows.ids.take(SafetyScreen),
                        "case_id": case_id,
                        "partner_id": person.id,
                        "screened_on": day,
                        "hurt": items[0],
                        "insult": items[1],
                        "threaten": items[2],
                        "scream": items[3],
                        "afraid": afraid,
                        "decision": decision,
                        "recorded_by_id": counsellor.id,
                        "recorded_at": recorded_at,
                    },
                )

    def _write_consents(
        self,
        case_id: int,
        people: list[Person],
        opened_on: date,
        counsellor: Counsellor,
    ) -> None:
        """Score-sharing consents given at intake, by a fixed rule so the story's random draws
        stay as they were: most partners share with each other, one case in four keeps scores
        private, one in three shares them with the referrer."""
        audiences = []
        if len(people) > 1 and case_id % 4:
            audiences.append(ShareAudience.PARTNER)
        if case_id % 3 == 0:
            audiences.append(ShareAudience.REFERRER)
        for person in people:
            for audience in audiences:
                self.rows.add(
                    ScoreSharingConsent,
                    {
                        "id": self.rows.ids.take(ScoreSharingConsent),
                        "case_id": case_id,
                        "partner_id": person.id,
                        "audience": audience,
                        "given_on": opened_on,
                        "recorded_by_id": counsellor.id,
                        "recorded_at": _at(opened_on, 10),
                    },
                )

    def _write_session(
        self,
        case: _CaseInProgress,
        index: int,
        starts_at: datetime,
        stage: int,
        *,
        last: bool,
        second_last: bool,
    ) -> int:
        """Buffer the case's session at ``index`` and all it holds; returns its EFT stage."""
        rng = self.rng
        plan = case.plan
        session_id = self.rows.ids.take(TherapySession)
        progress = min(1.0, index / plan.sessions_to_change)
        stage = self._stage(plan, index, progress, stage)
        duration = self.sessions.duration(index)
        modality = self.sessions.modality(plan)
        ends_at = starts_at + timedelta(minutes=duration)
        attendees = self.sessions.attendance(plan, case.people, index)
        self.sessions.add_attendance(session_id, attendees)
        # Scripts first: a moment may quote a script the partner now uses.
        script_events = self.scripts.observe(
            case.id,
            session_id,
            index,
            ends_at,
            case.assignments,
            attendees,
            rng.choice(case.things),
        )
        moments = self.sessions.moments(
            plan,
            session_id,
            starts_at,
            duration,
            progress,
            attendees=attendees,
            pursuer=case.pursuer,
            withdrawer=case.withdrawer,
            adopted=scripts_and_measures.adopted_scripts(case.assignments),
            things=case.things,
            counsellor_id=case.counsellor.id,
        )
        # The rule's own cycle balance, so the note tells what the pages will show.
        loads = balance.cycle_balance(
            (self.vocabulary.valence[key], intensity) for key, intensity in moments
        )
        measured = self.measures.record(
            plan,
            session_id,
            index,
            ends_at,
            attendees,
            case.people,
            case.measured_at,
            case.counsellor.id,
        )
        note = case.story.note(
            index=index,
            starts_at=starts_at,
            modality=modality,
            attendees=attendees,
            stage=stage,
            share=loads.deescalation_share,
            moment_keys=[key for key, _ in moments],
            measured=measured,
            script_events=script_events,
            has_scripts=any(a.id and not a.retired for a in case.assignments),
            last=last,
        )
        self.sessions.add(
            plan,
            case.counsellor,
            {
                "id": session_id,
                "case_id": case.id,
                "starts_at": starts_at,
                "duration_minutes": duration,
                "modality": modality,
                "eft_stage": stage,
            },
            note,
            last=last,
            second_last=second_last,
        )
        return stage

    def _session_times(self, plan: CasePlan) -> list[datetime]:
        """Weekly-ish start times, the latest ``last_offset_days`` before today."""
        rng = self.rng
        hour = rng.choice((8, 9, 10, 11, 13, 14, 15, 16, 17, 18))
        minute = rng.choice((0, 0, 30))
        day = _weekday_or_earlier(self.today - timedelta(days=plan.last_offset_days))
        days = [day]
        gaps = (7, 14, 6, 8, 21, 5)
        weights = (70, 14, 4, 4, 5, 3)
        for _ in range(plan.n_sessions - 1):
            gap = rng.choices(gaps, weights)[0] if not plan.showcase else rng.choice((7, 7, 7, 14))
            days.append(_weekday_or_earlier(days[-1] - timedelta(days=gap)))
        days.reverse()
        times = []
        for d in days:
            shift = rng.choice((0, 0, 0, 0, 0, 1, -1))
            times.append(datetime(d.year, d.month, d.day, hour + shift, minute, tzinfo=UTC))
        return times

    def _stage(self, plan: CasePlan, index: int, progress: float, stage: int) -> int:
        """The EFT stage at the session at ``index``: an improving couple or family moves on
        from stage 1 halfway to its change, and to stage 3 once it is nearly there."""
        if plan.trajectory != IMPROVING or plan.kind == CaseKind.INDIVIDUAL:
            return stage
        if stage == 1 and progress >= 0.5 and index >= 4:
            return 2
        if stage == 2 and progress >= 0.95 and index >= 12:
            return 3
        return stage


def _weekday_or_earlier(day: date) -> date:
    """The same day, or the Friday before when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
