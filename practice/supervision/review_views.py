"""Co-signature of supervisees' signed notes, and supervision comments.

Each view loads through the viewer's scope, validates its form, calls ``cosign`` or ``comments``
and answers; the request commits (``practice.core.unit_of_work``). A refusal is shown on the
form that asked for it (``refusal_shown_on``); a wrong password is audited and shown on the form,
and the request keeps that record.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import Role
from practice.accounts.reauth import confirm_password
from practice.cases import scoping
from practice.cases.models import Case
from practice.core.i18n import _
from practice.sessions import operations as session_operations
from practice.sessions.models import TherapySession
from practice.supervision import comments, cosign, review_record
from practice.supervision.comments import UnknownParent
from practice.supervision.forms import BatchCosignForm, CommentForm, CosignForm, ReturnForm
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("review", __name__)

# Administrators read no clinical record and co-sign nothing (least privilege).
REVIEWERS = (Role.SUPERVISOR,)
ADOPTION_STATUS_LABELS = {
    "observed": "Observed",
    "no_opportunity": "No opportunity",
    "absent": "Partner absent",
}


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _place_url(case_id: int, session_id: int | None, comment_id: int | None = None) -> str:
    """The page that shows a discussion: the session's page, or the case's."""
    anchor = f"comment-{comment_id}" if comment_id else "comments"
    if session_id is not None:
        return url_for("practice.sessions.show", session_id=session_id, _anchor=anchor)
    return url_for("practice.case_page.show", case_id=case_id, _anchor=anchor)


# --- Co-signature ------------------------------------------------------------------------------


def _queue_page(batch_form: BatchCosignForm | None = None):
    page = cosign.cosign_queue(access.current_staff(), _page_number())
    form = batch_form or BatchCosignForm(formdata=None)
    body = render_template("practice/review/queue.html", page=page, batch_form=form)
    audit.record("cosign_queue_viewed", detail={"page": page.page, "total": page.total})
    return body


@bp.route("/review")
@access.roles(*REVIEWERS)
def queue():
    return _queue_page()


@bp.route("/review/cosign", methods=["POST"], endpoint="cosign_batch")
@access.roles(*REVIEWERS)
def cosign_batch():
    """Co-sign the ticked notes with one password entry: all of them, or none (see
    ``cosign.cosign_many``)."""
    member = access.current_staff()
    form = BatchCosignForm()
    if form.validate():
        items = [cosign.BatchItem(*values) for values in form.selected()]
        if not confirm_password(form.password.data):
            audit.record(
                "note_cosign_failed",
                outcome="denied",
                detail={"batch": True, "session_ids": [item.session_id for item in items]},
            )
            form.form_errors.append("That password is not right. No note was co-signed.")
        else:
            with refusal_shown_on(form):
                signed = cosign.cosign_many(member, items)
                flash(
                    f"{len(signed)} {'note' if len(signed) == 1 else 'notes'} co-signed.",
                    "success",
                )
                return redirect(url_for(".queue"))
    return _queue_page(form)


def _review_page(therapy_session: TherapySession, **forms):
    """The note read-only with the co-sign and return forms; the read audited."""
    member = access.current_staff()
    addenda = session_operations.addenda_of(therapy_session)
    intact = session_operations.note_intact_audited(therapy_session, "review_page")
    forms.setdefault("cosign_form", CosignForm(formdata=None))
    forms.setdefault("return_form", ReturnForm(formdata=None))
    forms.setdefault("comment_form", CommentForm(formdata=None))
    body = render_template(
        "practice/review/session.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        addenda=addenda,
        intact=intact,
        panel=cosign.review_panel(member, therapy_session, len(addenda)),
        record=review_record.session_record(therapy_session),
        adoption_statuses=ADOPTION_STATUS_LABELS,
        **forms,
    )
    audit.record("note_reviewed", obj=therapy_session)
    return body


@bp.route("/review/sessions/<int:session_id>", endpoint="session")
@access.roles(*REVIEWERS)
def review_session(session_id: int):
    return _review_page(scoping.session_for_viewer(access.current_staff(), session_id))


@bp.route("/review/sessions/<int:session_id>/cosign", methods=["POST"], endpoint="cosign")
@access.roles(*REVIEWERS)
def cosign_note(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_viewer(member, session_id)
    form = CosignForm()
    if form.validate():
        if not confirm_password(form.password.data):
            # Kept: the page answers normally, so the request commits this record.
            audit.record("note_cosign_failed", obj=therapy_session, outcome="denied")
            form.form_errors.append(_("That password is not right. The note was not co-signed."))
        else:
            with refusal_shown_on(form):
                cosign.cosign_with_comment(
                    therapy_session, member, form.comment.data or None, **form.as_read()
                )
                flash(_("Note co-signed."), "success")
                return redirect(url_for(".queue"))
    return _review_page(therapy_session, cosign_form=form)


@bp.route("/review/sessions/<int:session_id>/return", methods=["POST"])
@access.roles(*REVIEWERS)
def return_note(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_viewer(member, session_id)
    form = ReturnForm()
    if form.validate():
        with refusal_shown_on(form):
            cosign.return_note(therapy_session, member, form.comment.data, **form.as_read())
            flash(_("Note returned to its counsellor with your comment."), "success")
            return redirect(url_for(".queue"))
    return _review_page(therapy_session, return_form=form)


# --- Comments ----------------------------------------------------------------------------------


def _comment(case: Case, therapy_session: TherapySession | None):
    """Add the posted comment to a case or session; re-show it with the reason if refused."""
    member = access.current_staff()
    if member.role == Role.ADMIN:
        # A break-glass opening lets an administrator read a case, never write in it.
        abort(403)
    form = CommentForm()
    if form.validate():
        with refusal_shown_on(form):
            try:
                comment = comments.add_comment(
                    member,
                    case,
                    form.body.data,
                    therapy_session=therapy_session,
                    parent_id=form.parent_id.data,
                )
            except UnknownParent:
                # Shown again as a new comment, which the user can send as it stands.
                form.parent_id.data = None
                raise
            flash(_("Reply added.") if form.parent_id.data else _("Comment added."), "success")
            if request.form.get("return_to") == "review" and comment.session_id is not None:
                # Written on the co-signature page: back to it, at the comment.
                return redirect(
                    url_for(
                        ".session",
                        session_id=comment.session_id,
                        _anchor=f"comment-{comment.id}",
                    )
                )
            return redirect(_place_url(case.id, comment.session_id, comment.id))
    discussion = comments.thread(member, case.id, therapy_session.id if therapy_session else None)
    body = render_template(
        "practice/review/comment.html",
        form=form,
        case=case,
        therapy_session=therapy_session,
        thread=discussion,
    )
    audit.record("comments_viewed", obj=therapy_session or case, detail={"page": "comment_form"})
    return body


@bp.route("/cases/<int:case_id>/comments", methods=["POST"])
@access.staff
def comment_case(case_id: int):
    return _comment(scoping.case_for_viewer(access.current_staff(), case_id), None)


@bp.route("/sessions/<int:session_id>/comments", methods=["POST"])
@access.staff
def comment_session(session_id: int):
    therapy_session = scoping.session_for_viewer(access.current_staff(), session_id)
    return _comment(therapy_session.case, therapy_session)


@bp.route("/comments")
@access.staff
def inbox():
    member = access.current_staff()
    mine = request.args.get("show") == "mine"
    page = comments.inbox(member, _page_number(), mine=mine)
    returned = cosign.returned_notes(member)
    body = render_template(
        "practice/review/inbox.html", page=page, returned=returned, showing_mine=mine
    )
    detail = {"page": page.page, "shown": len(page.items), "returned_notes": len(returned)}
    if mine:
        detail["written_by_viewer"] = True
    audit.record("comments_viewed", detail=detail)
    return body


@bp.route("/comments/<int:comment_id>")
@access.staff
def open_comment(comment_id: int):
    """Go to a comment where it lives; a GET changes nothing (it stays unread)."""
    member = access.current_staff()
    comment = comments.comment_for_viewer(member, comment_id)
    if comment is None:
        abort(404)
    comments.open_comment(member, comment, mark_read=False)
    return redirect(_place_url(comment.case_id, comment.session_id, comment.id))


@bp.route("/comments/<int:comment_id>/read", methods=["POST"])
@access.staff
def mark_read(comment_id: int):
    """Mark the discussion of a comment read (the button by its unread summary)."""
    member = access.current_staff()
    comment = comments.comment_for_viewer(member, comment_id)
    if comment is None:
        abort(404)
    comments.open_comment(member, comment, mark_read=True)
    return redirect(_place_url(comment.case_id, comment.session_id, comment.id))
