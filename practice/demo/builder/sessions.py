"""Therapy sessions and their cycle moments: how long, how, who came, what was tagged, and how
far the note has come (draft, signed, co-signed, with an addendum now and then).

Rows are buffered in the builder's :class:`~practice.demo.builder.rows.RowBuffer`; every
choice is drawn from the demo's ``random.Random`` in a fixed order.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from practice.cases.models import CaseKind, CaseStatus, CycleRole
from practice.demo import vocabulary as pools
from practice.demo.builder.plans import CasePlan
from practice.demo.builder.rows import RowBuffer
from practice.demo.builder.staff import Counsellor
from practice.demo.story.cast import IMPROVING, WORSENING, Person
from practice.demo.story.contexts import moment_context
from practice.demo.story.notes import ADDENDA
from practice.demo.vocabulary import Vocabulary
from practice.moments import balance
from practice.moments.balance import Valence
from practice.moments.models import Moment
from practice.sessions.models import (
    Addendum,
    Modality,
    NoteStatus,
    ReviewStatus,
    TherapySession,
    session_attendance,
)
from practice.sessions.signed_notes import SEAL_KEYED, note_seal


class SessionWriter:
    """Buffers a case's therapy sessions, their attendance, moments and addenda."""

    def __init__(
        self, rng: random.Random, rows: RowBuffer, vocabulary: Vocabulary, now: datetime
    ) -> None:
        """``now``: the moment the practice is seen from; notes due later are still drafts."""
        self.rng = rng
        self.rows = rows
        self.vocabulary = vocabulary
        self.now = now

    def duration(self, index: int) -> int:
        """Minutes; a first session is often longer."""
        if index == 0 and self.rng.random() < 0.5:
            return 80
        return self.rng.choices((50, 60, 75, 90), (80, 5, 7, 8))[0]

    def modality(self, plan: CasePlan) -> str:
        """In person, by video or by phone; some cases meet mostly by video."""
        roll = self.rng.random()
        if plan.video_case:
            return Modality.VIDEO if roll < 0.75 else Modality.IN_PERSON
        if roll < 0.8:
            return Modality.IN_PERSON
        return Modality.VIDEO if roll < 0.94 else Modality.PHONE

    def attendance(self, plan: CasePlan, people: list[Person], index: int) -> list[Person]:
        """Who comes to the session at ``index``: now and then someone is missing."""
        if len(people) == 1 or index < 2 or plan.showcase:
            return list(people)
        roll = self.rng.random()
        if plan.kind == CaseKind.FAMILY and roll < 0.15:
            return sorted(self.rng.sample(people, 2), key=lambda p: p.position)
        if plan.kind == CaseKind.COUPLE and roll < 0.07:
            return [self.rng.choice(people)]
        return list(people)

    def add_attendance(self, session_id: int, attendees: list[Person]) -> None:
        """Buffer who attended the session."""
        for person in attendees:
            self.rows.add(session_attendance, {"session_id": session_id, "partner_id": person.id})

    def moments(
        self,
        plan: CasePlan,
        session_id: int,
        starts_at: datetime,
        duration: int,
        progress: float,
        *,
        attendees: list[Person],
        pursuer: Person,
        withdrawer: Person,
        adopted: dict[int, str],
        things: list[str],
        counsellor_id: int,
    ) -> list[tuple[str, int]]:
        """Buffer 4-12 moments whose balance follows the case's trajectory; (key, intensity).

        ``progress``: how far the case is towards its change (0 to 1); ``adopted``: the script
        text each partner has adopted, by partner id, for them to be heard using it.
        """
        rng = self.rng
        share = plan.share_start + (plan.share_end - plan.share_start) * progress
        share = min(0.95, max(0.03, share + rng.gauss(0, 0.04)))
        count = rng.randint(4, 12)
        neutral = sum(rng.random() < 0.15 for _ in range(count))
        valenced = count - neutral
        soft = min(valenced, max(0, round(share * valenced + rng.gauss(0, 0.4))))
        kinds = (
            [Valence.NEUTRAL] * neutral
            + [Valence.DEESCALATING] * soft
            + [Valence.ESCALATING] * (valenced - soft)
        )
        rng.shuffle(kinds)
        minutes = sorted(rng.randint(2, max(2, duration - 3)) for _ in range(count))
        improving = progress if plan.trajectory == IMPROVING else 0.0
        worsening = progress if plan.trajectory == WORSENING else 0.0
        both_present = len(attendees) > 1
        result = []
        for kind, minute in zip(kinds, minutes, strict=True):
            actor = self._actor(attendees, pursuer, withdrawer, both_present)
            if kind == Valence.ESCALATING:
                key = self._escalating_key(actor, pursuer, withdrawer, worsening)
                intensity = _intensity(
                    round(rng.gauss(3.4 - 0.7 * improving + 0.5 * worsening, 0.7))
                )
            elif kind == Valence.DEESCALATING:
                key = self._deescalating_key(actor, pursuer, withdrawer)
                intensity = _intensity(round(rng.gauss(2.5 + 0.8 * improving, 0.7)))
            else:
                key = pools.weighted_key(rng, pools.NEUTRAL)
                if actor is not None and key in pools.NEUTRAL_BOTH and rng.random() < 0.6:
                    actor = None
                elif actor is None and key not in pools.NEUTRAL_BOTH:
                    actor = rng.choice(attendees)
                intensity = rng.choice((2, 2, 3, 3, 4))
            if actor is None and not both_present:
                actor = attendees[0]
            context = moment_context(rng, key, actor, attendees, adopted, things)
            self.rows.add(
                Moment,
                {
                    "id": self.rows.ids.take(Moment),
                    "session_id": session_id,
                    "moment_type_id": self.vocabulary.moment_type[key],
                    "partner_id": actor.id if actor is not None else None,
                    "minute": minute,
                    "intensity": intensity,
                    "context": context,
                    "created_by_id": counsellor_id,
                    "created_at": starts_at + timedelta(minutes=minute),
                    "voided_at": None,
                    "void_reason": None,
                },
            )
            result.append((key, intensity))
        return result

    def _actor(
        self, attendees: list[Person], pursuer: Person, withdrawer: Person, both_present: bool
    ) -> Person | None:
        """Who shows the moment: mostly one partner, the pursuer a little more often; None for
        both."""
        roll = self.rng.random()
        if both_present and roll < 0.15:
            return None
        if pursuer in attendees and withdrawer in attendees:
            return pursuer if roll < 0.58 else withdrawer
        return self.rng.choice(attendees)

    def _escalating_key(
        self, actor: Person | None, pursuer: Person, withdrawer: Person, worsening: float
    ) -> str:
        """An escalating moment of ``actor``'s part in the cycle; the rare ones more often as a
        case worsens."""
        rng = self.rng
        if actor is None:
            pool = pools.ESCALATING_BOTH
        elif _withdraws(actor, pursuer, withdrawer):
            rare = pools.ESCALATING_W_RARE if rng.random() < 0.1 + worsening else ()
            pool = pools.ESCALATING_W + rare
        else:
            rare = pools.ESCALATING_P_RARE if rng.random() < 0.1 + worsening else ()
            pool = pools.ESCALATING_P + rare
        return pools.weighted_key(rng, pool)

    def _deescalating_key(self, actor: Person | None, pursuer: Person, withdrawer: Person) -> str:
        """A de-escalating moment of ``actor``'s part in the cycle."""
        if actor is None:
            pool = pools.DEESCALATING_BOTH
        elif _withdraws(actor, pursuer, withdrawer):
            pool = pools.DEESCALATING_W
        else:
            pool = pools.DEESCALATING_P
        return pools.weighted_key(self.rng, pool)

    def add(
        self,
        plan: CasePlan,
        counsellor: Counsellor,
        row: dict,
        note: tuple[str, str, str],
        *,
        last: bool,
        second_last: bool,
    ) -> None:
        """Buffer a session row (``row`` holds its schedule) with its ``note`` (data, assessment,
        plan), signed and co-signed as a real practice would have it by now, and now and then an
        addendum."""
        rng = self.rng
        data, assessment, note_plan = note
        ends_at = row["starts_at"] + timedelta(minutes=row["duration_minutes"])
        signed_at = ends_at + timedelta(minutes=rng.randint(20, 30 * 60))
        if rng.random() < 0.06 and not plan.showcase:
            signed_at = ends_at + timedelta(minutes=rng.randint(80 * 60, 200 * 60))  # late
        # Now and then a note is left unsigned past the deadline: a few cases of a practice,
        # not one in five.
        overdue_draft = (
            plan.status == CaseStatus.ACTIVE
            and not plan.showcase
            and ((last and rng.random() < 0.05) or (second_last and rng.random() < 0.01))
        )
        is_draft = signed_at > self.now or overdue_draft
        review_status = ReviewStatus.NOT_REQUIRED
        cosigned_at = None
        supervisor = counsellor.supervisor_id
        if not is_draft and supervisor is not None:
            delay = rng.randint(20, 140) if rng.random() < 0.85 else rng.randint(240, 480)
            cosigned_at = signed_at + timedelta(hours=delay, minutes=rng.randint(0, 59))
            if cosigned_at > self.now:
                review_status, cosigned_at = ReviewStatus.PENDING, None
            else:
                review_status = ReviewStatus.COSIGNED
        if is_draft and not overdue_draft and rng.random() < 0.5:
            note_plan = ""  # still being written
        digest = None
        if not is_draft:
            # The signed note's keyed seal, so the notes read as intact.
            digest = note_seal(
                TherapySession(
                    id=row["id"],
                    note_data=data,
                    note_assessment=assessment,
                    note_plan=note_plan,
                    signed_by_id=counsellor.id,
                    signed_at=signed_at,
                )
            )
        self.rows.add(
            TherapySession,
            {
                **row,
                "note_data": data,
                "note_assessment": assessment,
                "note_plan": note_plan,
                "status": NoteStatus.DRAFT if is_draft else NoteStatus.SIGNED,
                "signed_by_id": None if is_draft else counsellor.id,
                "signed_at": None if is_draft else signed_at,
                "note_sha256": digest,
                "note_seal_version": None if is_draft else SEAL_KEYED,
                "review_status": review_status,
                "cosigned_by_id": supervisor if cosigned_at else None,
                "cosigned_at": cosigned_at,
                "voided_at": None,
                "void_reason": None,
                "created_by_id": counsellor.id,
                "created_at": ends_at,
                "updated_at": ends_at if is_draft else signed_at,
                "version": 1,
            },
        )
        if not is_draft and rng.random() < 0.03:
            written = signed_at + timedelta(hours=rng.randint(24, 120))
            if written < self.now:
                self.rows.add(
                    Addendum,
                    {
                        "id": self.rows.ids.take(Addendum),
                        "session_id": row["id"],
                        "author_id": counsellor.id,
                        "created_at": written,
                        "text": rng.choice(ADDENDA),
                    },
                )


def _withdraws(actor: Person, pursuer: Person, withdrawer: Person) -> bool:
    """Whether ``actor`` plays the withdrawing part (in a one-person case, by their role)."""
    if pursuer is withdrawer:
        return actor.role == CycleRole.WITHDRAWER
    return actor is withdrawer


def _intensity(value: int) -> int:
    """``value`` brought into the range of a moment's intensity."""
    return max(balance.MIN_INTENSITY, min(balance.MAX_INTENSITY, value))
