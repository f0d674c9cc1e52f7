"""What the case and session pages show of supervision: the discussion, the review state and
the forms to comment, co-sign or return; and the nav's badge of unread comments.

Built by the views that render those pages and passed to their templates, which query nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from practice.cases.models import Case
from practice.core.database import db
from practice.sessions.models import TherapySession
from practice.supervision import comments, cosign
from practice.supervision.comments import ThreadComment
from practice.supervision.cosign import ReviewPanel
from practice.supervision.forms import CommentForm, CosignForm, ReturnForm
from practice.web import access, outage_state


@dataclass(frozen=True)
class CommentsPanel:
    """A discussion and the form to add to it, for a page's included partial."""

    thread: list[ThreadComment]
    comment_form: CommentForm

    @property
    def unread(self) -> int:
        return sum(c.unread + sum(r.unread for r in c.replies) for c in self.thread)

    @property
    def first_unread_id(self) -> int | None:
        return next((c.id for top in self.thread for c in (top, *top.replies) if c.unread), None)


@dataclass(frozen=True)
class SessionPanel(CommentsPanel):
    """The session's discussion plus its review state and, for its reviewer, the forms."""

    review: ReviewPanel | None = None
    cosign_form: CosignForm | None = None
    return_form: ReturnForm | None = None


def comment_badge() -> dict[str, int]:
    """Template context for the nav's badge: comments the signed-in staff member has not
    opened (0 if signed out). The assembled blueprint registers it as a context processor."""
    if outage_state.database_down():
        return {"unread_comments": 0}
    try:
        member = access.load_current_staff()
        if member is None:
            return {"unread_comments": 0}
        # A badge must not flush a half-done change, nor turn an error page into a second error.
        with db.no_autoflush:
            return {"unread_comments": comments.unread_count(member)}
    except SQLAlchemyError:
        return {"unread_comments": 0}


def case_comments(case: Case) -> CommentsPanel | None:
    """The case's own discussion for the case page (one query); None when signed out."""
    member = access.load_current_staff()
    if member is None:
        return None
    return CommentsPanel(
        thread=comments.thread(member, case.id), comment_form=CommentForm(formdata=None)
    )


def review_panel(
    therapy_session: TherapySession, addenda: Sequence | None = None
) -> SessionPanel | None:
    """The session's review state and discussion for the session page; None when signed out.

    ``addenda``: the addenda the page shows, so they are not counted again.
    """
    member = access.load_current_staff()
    if member is None:
        return None
    review = cosign.review_panel(
        member, therapy_session, len(addenda) if addenda is not None else None
    )
    return SessionPanel(
        thread=review.thread,
        comment_form=CommentForm(formdata=None),
        review=review,
        cosign_form=CosignForm(formdata=None) if review.can_review else None,
        return_form=ReturnForm(formdata=None) if review.can_review else None,
    )
