"""Supervision comments on cases and sessions: threads, replies, and who has read what.

A *place* is where a discussion lives: a case's own thread (``session_id`` empty) or one
session's thread. Replies hang under a top-level comment of the same place. A comment is
unread for a staff member who may see its case, did not write it and has no ``CommentRead``
for it. The writes run in a savepoint (``@atomic``), flush and never commit; a refused comment
raises ``CommentError``, leaving nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import UTCDateTime, db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.pagination import Page, window
from practice.core.unit_of_work import atomic
from practice.sessions.models import TherapySession
from practice.supervision.models import CommentRead, SupervisionComment

MAX_COMMENT_LENGTH = 5_000
INBOX_PAGE_SIZE = 50
EXCERPT_LENGTH = 160


class CommentError(Refused):
    """A comment that is refused; the message says why."""


class UnknownParent(CommentError):
    """A reply to a comment that is not in the same discussion (or does not exist)."""


@dataclass(frozen=True)
class ThreadComment:
    """A comment as a thread shows it, with its replies (oldest first) when it is top-level."""

    id: int
    author_id: int
    author: str
    body: str
    created_at: datetime
    returns_note: bool
    unread: bool
    replies: tuple[ThreadComment, ...] = ()


@dataclass(frozen=True)
class InboxItem:
    """One comment in the inbox: where it was made, by whom, the start of its text."""

    comment_id: int
    case_id: int
    case_reference: str
    session_id: int | None
    session_starts_at: datetime | None
    author: str
    created_at: datetime
    excerpt: str
    is_reply: bool
    returns_note: bool
    unread: bool


@dataclass(frozen=True)
class InboxPage(Page[InboxItem]):
    """One page of the inbox, and how many comments in the whole inbox are unread."""

    unread: int = 0


def normalise_body(body: str | None) -> str:
    """The text as stored: browsers' CRLF line ends as LF, outer whitespace removed."""
    return (body or "").replace("\r\n", "\n").strip()


def check_body(body: str | None) -> str:
    """The normalised comment text; raises CommentError if it is empty or too long."""
    text = normalise_body(body)
    if not text:
        raise CommentError(_("Write the comment before sending it."))
    if len(text) > MAX_COMMENT_LENGTH:
        raise CommentError(
            f"A comment can hold at most {MAX_COMMENT_LENGTH:,} characters; "
            f"this one has {len(text):,}."
        )
    return text


def _place(case_id: int, session_id: int | None) -> ColumnElement[bool]:
    """The comments of one place: a session's thread, or the case's own thread."""
    if session_id is None:
        return and_(SupervisionComment.case_id == case_id, SupervisionComment.session_id.is_(None))
    return and_(SupervisionComment.case_id == case_id, SupervisionComment.session_id == session_id)


def _unread_by(member: StaffMember) -> ColumnElement[bool]:
    """True for a comment ``member`` did not write and has not opened."""
    read = (
        exists()
        .where(CommentRead.comment_id == SupervisionComment.id, CommentRead.staff_id == member.id)
        .correlate(SupervisionComment)
    )
    return and_(SupervisionComment.author_id != member.id, ~read)


def _in_scope(member: StaffMember) -> ColumnElement[bool]:
    """Comments on cases ``member`` may see, leaving out those on voided sessions."""
    # Correlated with the comment only: the inbox also joins sessions.
    voided = (
        exists()
        .where(
            TherapySession.id == SupervisionComment.session_id,
            TherapySession.voided_at.is_not(None),
        )
        .correlate(SupervisionComment)
    )
    # Never correlated with an outer query that joins cases or staff (the inbox does).
    visible = visible_cases(member).with_only_columns(Case.id).correlate(None)
    return and_(SupervisionComment.case_id.in_(visible), ~voided)


def thread(member: StaffMember, case_id: int, session_id: int | None = None) -> list[ThreadComment]:
    """The comments of a place, top-level oldest first, each with its replies (one query)."""
    rows = db.execute(
        select(SupervisionComment, StaffMember.display_name, _unread_by(member))
        .join(StaffMember, StaffMember.id == SupervisionComment.author_id)
        .where(_place(case_id, session_id))
        .order_by(SupervisionComment.created_at, SupervisionComment.id)
    )
    replies: dict[int, list[ThreadComment]] = {}
    tops: list[tuple[SupervisionComment, str, bool]] = []
    for comment, author, unread in rows:
        if comment.parent_id is None:
            tops.append((comment, author, bool(unread)))
        else:
            replies.setdefault(comment.parent_id, []).append(
                _thread_comment(comment, author, bool(unread))
            )
    return [
        _thread_comment(comment, author, unread, tuple(replies.get(comment.id, ())))
        for comment, author, unread in tops
    ]


def _thread_comment(
    comment: SupervisionComment, author: str, unread: bool, replies: tuple = ()
) -> ThreadComment:
    return ThreadComment(
        id=comment.id,
        author_id=comment.author_id,
        author=author,
        body=comment.body,
        created_at=comment.created_at,
        returns_note=comment.returns_note,
        unread=unread,
        replies=replies,
    )


@atomic
def new_comment(
    member: StaffMember,
    case: Case,
    body: str | None,
    *,
    therapy_session: TherapySession | None = None,
    parent_id: int | None = None,
    returns_note: bool = False,
) -> SupervisionComment:
    """Store a comment without auditing it (callers audit their own action).

    The caller has checked that ``member`` may see ``case``. A reply to a reply is filed under
    the top-level comment, so threads stay two levels deep. Raises CommentError for an empty or
    over-long text or a session of another case, UnknownParent for a parent from another place.
    """
    text = check_body(body)
    session_id = therapy_session.id if therapy_session is not None else None
    if therapy_session is not None and therapy_session.case_id != case.id:
        raise CommentError(_("That session belongs to another case."))
    root_id = None
    if parent_id is not None:
        parent = db.get(SupervisionComment, parent_id)
        if parent is None or parent.case_id != case.id or parent.session_id != session_id:
            raise UnknownParent(
                "The comment you answered is not part of this discussion. You can send your "
                "text as a new comment instead."
            )
        root_id = parent.parent_id or parent.id
    comment = SupervisionComment(
        case_id=case.id,
        session_id=session_id,
        parent_id=root_id,
        author_id=member.id,
        body=text,
        returns_note=returns_note,
        created_at=utcnow(),
    )
    db.add(comment)
    db.flush()
    # Whoever writes in a discussion has read it.
    mark_place_read(member, case.id, session_id)
    return comment


@atomic
def add_comment(
    member: StaffMember,
    case: Case,
    body: str | None,
    *,
    therapy_session: TherapySession | None = None,
    parent_id: int | None = None,
) -> SupervisionComment:
    """Comment on a case (or one of its sessions), or reply; audited without its text.

    Raises CommentError as ``new_comment`` does.
    """
    comment = new_comment(member, case, body, therapy_session=therapy_session, parent_id=parent_id)
    audit.record(
        "comment_added",
        obj=comment,
        detail={
            "comment_id": comment.id,
            "session_id": comment.session_id,
            "parent_id": comment.parent_id,
        },
    )
    return comment


@atomic
def mark_place_read(member: StaffMember, case_id: int, session_id: int | None) -> int:
    """Mark every comment of a place that ``member`` did not write as read by them.

    Returns how many were newly marked. Safe against two requests marking at once.
    """
    unread = select(
        SupervisionComment.id,
        literal(member.id),
        literal(utcnow(), type_=UTCDateTime()),
    ).where(_place(case_id, session_id), _unread_by(member))
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CommentRead)
        .from_select(["comment_id", "staff_id", "read_at"], unread)
        .on_conflict_do_nothing()
        # Counted from RETURNING: drivers differ on the rowcount of INSERT ... SELECT.
        .returning(CommentRead.comment_id)
    )
    return len(db.execute(statement).all())


def comment_for_viewer(member: StaffMember, comment_id: int) -> SupervisionComment | None:
    """The comment if ``member`` may see its case (and its session is not voided), else None."""
    return db.scalar(
        select(SupervisionComment).where(SupervisionComment.id == comment_id, _in_scope(member))
    )


@atomic
def open_comment(member: StaffMember, comment: SupervisionComment, *, mark_read: bool) -> int:
    """``member`` opened a comment (audited); with ``mark_read``, its whole discussion is
    marked read by them. Opening (a GET) never marks: only the explicit "Mark as read" (a
    POST) or writing in the discussion does.

    Returns how many comments were newly marked read.
    """
    marked = mark_place_read(member, comment.case_id, comment.session_id) if mark_read else 0
    audit.record(
        "comments_viewed",
        obj=comment,
        detail={"comment_id": comment.id, "session_id": comment.session_id, "marked": marked},
    )
    return marked


def unread_count(member: StaffMember) -> int:
    """How many comments in ``member``'s scope they did not write and have not opened."""
    return (
        db.scalar(
            select(func.count(SupervisionComment.id)).where(_in_scope(member), _unread_by(member))
        )
        or 0
    )


def excerpt(body: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a text on one line, cut at a word with an ellipsis when longer."""
    flat = " ".join(body.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + "…"


def inbox(member: StaffMember, page: int = 1, *, mine: bool = False) -> InboxPage:
    """Comments by others on cases ``member`` may see, newest first, one page (three queries).

    ``mine``: the comments ``member`` wrote instead (a supervisor looks back over what they
    said before a supervision hour); still only on cases they may see now.
    """
    author = SupervisionComment.author_id
    by_others = select(SupervisionComment.id).where(
        _in_scope(member), author == member.id if mine else author != member.id
    )
    shown = window(by_others, page, INBOX_PAGE_SIZE)
    unread = unread_count(member)
    rows = db.execute(
        by_others.with_only_columns(
            SupervisionComment.id,
            SupervisionComment.case_id,
            Case.reference,
            SupervisionComment.session_id,
            TherapySession.starts_at,
            StaffMember.display_name,
            SupervisionComment.created_at,
            SupervisionComment.body,
            SupervisionComment.parent_id.is_not(None),
            SupervisionComment.returns_note,
            _unread_by(member),
        )
        .join(Case, Case.id == SupervisionComment.case_id)
        .join(StaffMember, StaffMember.id == SupervisionComment.author_id)
        .outerjoin(TherapySession, TherapySession.id == SupervisionComment.session_id)
        .order_by(SupervisionComment.created_at.desc(), SupervisionComment.id.desc())
        .limit(shown.per_page)
        .offset(shown.offset)
    )
    items = [
        InboxItem(
            comment_id=row[0],
            case_id=row[1],
            case_reference=row[2],
            session_id=row[3],
            session_starts_at=row[4],
            author=row[5],
            created_at=row[6],
            excerpt=excerpt(row[7]),
            is_reply=bool(row[8]),
            returns_note=bool(row[9]),
            unread=bool(row[10]),
        )
        for row in rows
    ]
    return InboxPage(items, shown, unread=unread)
