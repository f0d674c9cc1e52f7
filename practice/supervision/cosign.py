"""Co-signature of supervisees' signed notes: the queue, co-signing and returning a note.

A signed note of a counsellor who has a supervisor waits in review (``pending``). The
counsellor's supervisor co-signs it or returns it with a comment; nobody
reviews a note they signed or a case they carry. Who may review which note is written once, as
SQL conditions (``_review_rules``) that both the queue and the check of a single note use.

The writes run in a savepoint (``@atomic``), flush and never commit; a refused review raises
``CosignError`` (a bad return comment raises ``CommentError``), leaving nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, select
from sqlalchemy import case as when
from sqlalchemy.orm.exc import StaleDataError

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.pagination import Page, window
from practice.core.unit_of_work import atomic
from practice.sessions.models import Addendum, NoteStatus, ReviewStatus, TherapySession
from practice.supervision import comments
from practice.supervision.comments import ThreadComment
from practice.supervision.models import SupervisionComment

QUEUE_PAGE_SIZE = 50

_NOT_WAITING = "This note is not waiting for review."
# What _NOT_WAITING says instead, by where the note stands.
_NOT_PENDING = {
    ReviewStatus.COSIGNED: "This note is already co-signed.",
    ReviewStatus.RETURNED: (
        "This note was returned to its counsellor. It comes back for review when they add "
        "an addendum."
    ),
    ReviewStatus.NOT_REQUIRED: "This note does not need a co-signature.",
}


class CosignError(Refused):
    """A co-signature or return that is refused; the message says why."""


@dataclass(frozen=True)
class QueueRow:
    """A note waiting for co-signature, as the queue lists it (a reference, never a name)."""

    session_id: int
    case_id: int
    case_reference: str
    counsellor: str
    starts_at: datetime
    signed_at: datetime
    waiting_since: datetime
    waiting: str
    addenda_count: int
    # The note's version as listed, so a batch co-signs only the notes as they stood.
    version: int = 1

    @property
    def batch_value(self) -> str:
        """The value of the note's box in the batch form: ``session id:version:addenda``."""
        return f"{self.session_id}:{self.version}:{self.addenda_count}"


@dataclass(frozen=True)
class ReturnedNote:
    """A note of the viewer's that a reviewer sent back, with the latest returning comment."""

    session_id: int
    case_id: int
    case_reference: str
    starts_at: datetime
    returned_by: str | None
    returned_at: datetime | None
    comment: str


@dataclass(frozen=True)
class ReviewPanel:
    """What the session page shows about review and discussion, for one viewer."""

    session_id: int
    signed: bool
    review_status: str
    cosigned_by: str | None
    cosigned_at: datetime | None
    # The latest comment that returned the note, while it stays returned.
    returned: ThreadComment | None
    # The viewer reviews notes (a supervisor): show them why they may not, if so.
    reviewer: bool
    refusal: str | None
    version: int
    addenda_count: int
    thread: list[ThreadComment]

    @property
    def can_review(self) -> bool:
        return self.refusal is None


def waiting_label(since: datetime, now: datetime) -> str:
    """How long a note has waited, in words: "3 days", "5 hours", "under an hour"."""
    hours = int((now - since).total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 24:
        return "1 day"
    if hours >= 2:
        return f"{hours} hours"
    return "1 hour" if hours == 1 else "under an hour"


# --- Who may review a note: written once, in SQL ------------------------------------------------
#
# Each condition comes with the refusal it gives when it does not hold. The queue keeps the notes
# for which all of them hold (one WHERE, which the indexes on status and review_status serve);
# the check of one note selects the conditions for that note and answers with the first that does
# not hold. A condition that is NULL (a counsellor with no supervisor) holds in neither.


def _notes() -> Select:
    """Sessions joined with their case and the case's counsellor: what the review rules read."""
    return (
        select(TherapySession.id)
        .join(Case, Case.id == TherapySession.case_id)
        .join(StaffMember, StaffMember.id == Case.counsellor_id)
    )


def _review_rules(member: StaffMember) -> list[tuple[ColumnElement[bool], str]]:
    """What must hold for ``member`` to co-sign or return a note, each with its refusal.

    The conditions read a session, its case and the case's counsellor (as ``_notes()`` joins
    them), in the order their refusals are told.
    """
    # Administrators read no clinical record, so they co-sign nothing (least privilege).
    supervisor = member.role == Role.SUPERVISOR
    theirs: ColumnElement[bool] = StaffMember.supervisor_id == member.id if supervisor else false()
    return [
        (TherapySession.status == NoteStatus.SIGNED, "This note is not signed yet."),
        (TherapySession.voided_at.is_(None), "This session was voided; it needs no review."),
        (
            and_(TherapySession.signed_by_id != member.id, Case.counsellor_id != member.id),
            "You cannot review your own note; your own supervisor co-signs it.",
        ),
        (theirs, "Only the counsellor's supervisor can review this note."),
        (TherapySession.review_status == ReviewStatus.PENDING, _NOT_WAITING),
    ]


def review_refusal(member: StaffMember, therapy_session: TherapySession) -> str | None:
    """Why ``member`` may not co-sign or return this note, or None when they may (one query)."""
    rules = _review_rules(member)
    row = db.execute(
        _notes()
        .with_only_columns(*(condition for condition, _ in rules), TherapySession.review_status)
        .where(TherapySession.id == therapy_session.id)
    ).one()
    *holds, review_status = row
    for (_check, refusal), held in zip(rules, holds, strict=True):
        if not held:
            return _NOT_PENDING.get(review_status, refusal) if refusal is _NOT_WAITING else refusal
    return None


def _reviewable_by(member: StaffMember) -> ColumnElement[bool]:
    """The notes ``member`` may review now: every review rule holds."""
    return and_(*(condition for condition, _ in _review_rules(member)))


def addenda_count(therapy_session: TherapySession) -> int:
    return (
        db.scalar(select(func.count(Addendum.id)).where(Addendum.session_id == therapy_session.id))
        or 0
    )


def _check_reviewable(
    member: StaffMember,
    therapy_session: TherapySession,
    expected_version: int | None,
    addenda_seen: int | None,
) -> None:
    refusal = review_refusal(member, therapy_session)
    if refusal is not None:
        raise CosignError(refusal)
    if expected_version is not None and expected_version != therapy_session.version:
        raise CosignError(_("The note changed since you opened it. Read it again below."))
    if addenda_seen is not None and addenda_seen != addenda_count(therapy_session):
        raise CosignError(
            "An addendum was added since you opened this note. Read it below, then decide."
        )


def _flush(therapy_session: TherapySession) -> None:
    try:
        db.flush()
    except StaleDataError as error:
        raise CosignError(
            "Someone else changed this note at the same moment. Reload it and try again."
        ) from error


@atomic
def cosign_note(
    therapy_session: TherapySession,
    member: StaffMember,
    *,
    expected_version: int | None = None,
    addenda_seen: int | None = None,
) -> TherapySession:
    """Co-sign a pending note as its counsellor's supervisor.

    The caller has confirmed the password. With ``expected_version`` / ``addenda_seen``, only
    the note as the reviewer read it is co-signed. Raises CosignError when ``member`` may not
    review it, it is not pending, or it changed.
    """
    _check_reviewable(member, therapy_session, expected_version, addenda_seen)
    therapy_session.review_status = ReviewStatus.COSIGNED
    therapy_session.cosigned_by_id = member.id
    therapy_session.cosigned_at = utcnow().replace(microsecond=0)
    _flush(therapy_session)
    audit.record(
        "note_cosigned",
        obj=therapy_session,
        detail={"signed_by_id": therapy_session.signed_by_id, "version": therapy_session.version},
    )
    return therapy_session


@atomic
def cosign_with_comment(
    therapy_session: TherapySession,
    member: StaffMember,
    comment: str | None,
    *,
    expected_version: int | None = None,
    addenda_seen: int | None = None,
) -> TherapySession:
    """Co-sign as ``cosign_note`` does and, with a ``comment``, add it to the session's
    discussion: both or (a refusal of either) neither."""
    cosign_note(
        therapy_session, member, expected_version=expected_version, addenda_seen=addenda_seen
    )
    if comment:
        comments.add_comment(member, therapy_session.case, comment, therapy_session=therapy_session)
    return therapy_session


@dataclass(frozen=True)
class BatchItem:
    """One note of a batch co-signature, as the queue showed it to the reviewer."""

    session_id: int
    version: int
    addenda_seen: int


@atomic
def cosign_many(member: StaffMember, items: list[BatchItem]) -> list[TherapySession]:
    """Co-sign several notes in one pass (the caller has confirmed the password once).

    All or none: each note is checked and co-signed (and audited) in turn inside one savepoint;
    the first refusal undoes the co-signatures already made in the pass and raises CosignError
    naming the note, so no note is left signed half-way through a batch. A note out of
    ``member``'s scope is refused like one they may not review, without saying more.
    """
    if not items:
        raise CosignError("Tick the notes to co-sign.")
    if len({item.session_id for item in items}) != len(items):
        raise CosignError("A note was ticked twice. Reload the queue and try again.")
    in_scope = visible_cases(member).with_only_columns(Case.id)
    visible = select(TherapySession).where(
        TherapySession.id.in_([item.session_id for item in items]),
        TherapySession.case_id.in_(in_scope),
    )
    found = {note.id: note for note in db.scalars(visible)}
    signed = []
    for item in items:
        note = found.get(item.session_id)
        if note is None:
            raise CosignError("A ticked note is not one you can co-sign. Nothing was co-signed.")
        label = f"{note.case.reference}, session of {note.starts_at:%d %b %Y}"
        try:
            signed.append(
                cosign_note(
                    note,
                    member,
                    expected_version=item.version,
                    addenda_seen=item.addenda_seen,
                )
            )
        except CosignError as refusal:
            raise CosignError(f"{label}: {refusal} Nothing was co-signed.") from refusal
    audit.record("notes_cosigned_in_batch", detail={"session_ids": [n.id for n in signed]})
    return signed


@atomic
def return_note(
    therapy_session: TherapySession,
    member: StaffMember,
    comment: str | None,
    *,
    expected_version: int | None = None,
    addenda_seen: int | None = None,
) -> SupervisionComment:
    """Return a pending note to its counsellor with a comment (stored with ``returns_note``).

    Raises CosignError as ``cosign_note`` does, CommentError for an empty or over-long comment.
    """
    _check_reviewable(member, therapy_session, expected_version, addenda_seen)
    comments.check_body(comment)
    returning = comments.new_comment(
        member, therapy_session.case, comment, therapy_session=therapy_session, returns_note=True
    )
    therapy_session.review_status = ReviewStatus.RETURNED
    _flush(therapy_session)
    audit.record(
        "note_returned",
        obj=therapy_session,
        detail={"comment_id": returning.id, "signed_by_id": therapy_session.signed_by_id},
    )
    return returning


def cosign_queue(member: StaffMember, page: int = 1) -> Page[QueueRow]:
    """One page of the notes waiting for ``member``'s co-signature, longest waiting first.

    A note waits from its signing, or from its latest addendum when one came later. Two
    queries, whatever the size of the queue.
    """
    waiting = _notes().where(_reviewable_by(member))
    shown = window(waiting, page, QUEUE_PAGE_SIZE)
    pending = select(TherapySession.id).where(TherapySession.review_status == ReviewStatus.PENDING)
    addenda = (
        select(
            Addendum.session_id,
            func.count(Addendum.id).label("n"),
            func.max(Addendum.created_at).label("last"),
        )
        .where(Addendum.session_id.in_(pending))
        .group_by(Addendum.session_id)
        .subquery()
    )
    since = when(
        (addenda.c.last > TherapySession.signed_at, addenda.c.last),
        else_=TherapySession.signed_at,
    )
    rows = db.execute(
        waiting.with_only_columns(
            TherapySession.id,
            Case.id,
            Case.reference,
            StaffMember.display_name,
            TherapySession.starts_at,
            TherapySession.signed_at,
            addenda.c.last,
            func.coalesce(addenda.c.n, 0),
            TherapySession.version,
        )
        .outerjoin(addenda, addenda.c.session_id == TherapySession.id)
        .order_by(since, TherapySession.id)
        .limit(shown.per_page)
        .offset(shown.offset)
    )
    now = utcnow()
    queue = []
    for row in rows:
        session_id, case_id, reference, counsellor, starts_at, signed_at, last, count, version = row
        waiting_since = max(signed_at, last) if last is not None else signed_at
        queue.append(
            QueueRow(
                session_id=session_id,
                case_id=case_id,
                case_reference=reference,
                counsellor=counsellor,
                starts_at=starts_at,
                signed_at=signed_at,
                waiting_since=waiting_since,
                waiting=waiting_label(waiting_since, now),
                addenda_count=count,
                version=version,
            )
        )
    return Page(queue, shown)


def returned_notes(member: StaffMember) -> list[ReturnedNote]:
    """The notes of ``member``'s own cases that stand returned, latest return first (one query)."""
    mine = (
        select(TherapySession.id)
        .join(Case, Case.id == TherapySession.case_id)
        .where(
            Case.counsellor_id == member.id,
            TherapySession.review_status == ReviewStatus.RETURNED,
            TherapySession.voided_at.is_(None),
        )
        .correlate(None)
    )
    latest = (
        select(
            SupervisionComment.session_id,
            func.max(SupervisionComment.id).label("comment_id"),
        )
        .where(SupervisionComment.returns_note.is_(True), SupervisionComment.session_id.in_(mine))
        .group_by(SupervisionComment.session_id)
        .subquery()
    )
    rows = db.execute(
        select(
            TherapySession.id,
            Case.id,
            Case.reference,
            TherapySession.starts_at,
            StaffMember.display_name,
            SupervisionComment.created_at,
            SupervisionComment.body,
        )
        .join(Case, Case.id == TherapySession.case_id)
        .outerjoin(latest, latest.c.session_id == TherapySession.id)
        .outerjoin(SupervisionComment, SupervisionComment.id == latest.c.comment_id)
        .outerjoin(StaffMember, StaffMember.id == SupervisionComment.author_id)
        .where(TherapySession.id.in_(mine))
        .order_by(SupervisionComment.created_at.desc(), TherapySession.id.desc())
    )
    return [
        ReturnedNote(
            session_id=session_id,
            case_id=case_id,
            case_reference=reference,
            starts_at=starts_at,
            returned_by=author,
            returned_at=returned_at,
            comment=comments.excerpt(body or ""),
        )
        for session_id, case_id, reference, starts_at, author, returned_at, body in rows
    ]


def review_panel(
    member: StaffMember, therapy_session: TherapySession, addenda_seen: int | None = None
) -> ReviewPanel:
    """The review state of a session and its discussion, as ``member`` sees them.

    ``addenda_seen``: how many addenda the page shows, when it has loaded them; otherwise
    they are counted here. One query for the discussion; for a reviewer, one more for
    ``review_refusal`` (and one to count the addenda without ``addenda_seen``).
    """
    discussion = comments.thread(member, therapy_session.case_id, therapy_session.id)
    returned = None
    if therapy_session.review_status == ReviewStatus.RETURNED:
        returning = [c for top in discussion for c in (top, *top.replies) if c.returns_note]
        returned = max(returning, key=lambda c: (c.created_at, c.id), default=None)
    reviewer = member.role == Role.SUPERVISOR
    refusal = review_refusal(member, therapy_session) if reviewer else "Not a reviewer."
    if reviewer and refusal is None and addenda_seen is None:
        addenda_seen = addenda_count(therapy_session)
    return ReviewPanel(
        session_id=therapy_session.id,
        signed=therapy_session.is_signed,
        review_status=therapy_session.review_status,
        cosigned_by=therapy_session.cosigned_by.display_name
        if therapy_session.cosigned_by
        else None,
        cosigned_at=therapy_session.cosigned_at,
        returned=returned,
        reviewer=reviewer,
        refusal=refusal,
        version=therapy_session.version,
        addenda_count=addenda_seen or 0,
        thread=discussion,
    )
