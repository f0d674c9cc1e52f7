"""Co-signature of supervisees' signed notes, and supervision comments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import Role
from practice.accounts.reauth import confirm_password
from practice.cases import scoping
from practice.cases.models import Case
from practice.core.database import db
from practice.sessions import operations as session_service
from practice.sessions.models import TherapySession
from practice.supervision import comments as comment_service
from practice.supervision import cosign as review_service
from practice.supervision.comments import CommentError, UnknownParent
from practice.supervision.cosign import CosignError
from practice.supervision.forms import CommentForm, CosignForm, ReturnForm
from practice.web import access

bp = Blueprint("review", __name__)

REVIEWERS = (Role.SUPERVISOR, Role.ADMIN)


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _place_url(case_id: int, session_id: int | None, comment_id: int | None = None) -> str:
    """The page that shows a discussion: the session's page, or the case's."""
    anchor = f"comment-{comment_id}" if comment_id else "comments"
    if session_id is not None:
        return url_for("practice.sessions.show", session_id=session_id, _anchor=anchor)
    return url_for("practice.case_page.show", case_id=case_id, _anchor=anchor)


# --- Co-signature ------------------------------------------------------------------------------


@bp.route("/review")
@access.roles(*REVIEWERS)
def queue():
    page = review_service.cosign_queue(access.current_staff(), _page_number())
    body = render_template("practice/review/queue.html", page=page)
    audit.record("cosign_queue_viewed", detail={"page": page.page, "total": page.total})
    db.commit()
    return body


def _review_page(therapy_session: TherapySession, **forms):
    """The note read-only with the co-sign and return forms; the read audited and committed."""
    member = access.current_staff()
    addenda = session_service.addenda_of(therapy_session)
    intact = session_service.note_intact_audited(therapy_session, "review_page")
    forms.setdefault("cosign_form", CosignForm(formdata=None))
    forms.setdefault("return_form", ReturnForm(formdata=None))
    body = render_template(
        "practice/review/session.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        addenda=addenda,
        intact=intact,
        panel=review_service.review_panel(member, therapy_session, len(addenda)),
        **forms,
    )
    # After rendering: the commit expires every loaded object, which the page still needs.
    audit.record("note_reviewed", obj=therapy_session)
    db.commit()
    return body


@bp.route("/review/sessions/<int:session_id>", endpoint="session")
@access.roles(*REVIEWERS)
def review_session(session_id: int):
    return _review_page(scoping.session_for_viewer(access.current_staff(), session_id))


@bp.route("/review/sessions/<int:session_id>/cosign", methods=["POST"])
@access.roles(*REVIEWERS)
def cosign(session_id: int):
    member = access.current_staff()
    note = scoping.session_for_viewer(member, session_id)
    form = CosignForm()
    if form.validate():
        if not confirm_password(form.password.data):
            audit.record("note_cosign_failed", obj=note, outcome="denied")
            form.form_errors.append("That password is not right. The note was not co-signed.")
        else:
            try:
                review_service.cosign_note(note, member, **form.as_read())
            except CosignError as error:
                db.rollback()
                form.form_errors.append(str(error))
            else:
                db.commit()
                flash("Note co-signed.", "success")
                return redirect(url_for(".queue"))
    return _review_page(note, cosign_form=form)


@bp.route("/review/sessions/<int:session_id>/return", methods=["POST"])
@access.roles(*REVIEWERS)
def return_note(session_id: int):
    member = access.current_staff()
    note = scoping.session_for_viewer(member, session_id)
    form = ReturnForm()
    if form.validate():
        try:
            review_service.return_note(note, member, form.comment.data, **form.as_read())
        except (CosignError, CommentError) as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash("Note returned to its counsellor with your comment.", "success")
            return redirect(url_for(".queue"))
    return _review_page(note, return_form=form)


# --- Comments ----------------------------------------------------------------------------------


def _comment(case: Case, note: TherapySession | None):
    """Add the posted comment to a case or session; re-show it with the reason if refused."""
    member = access.current_staff()
    form = CommentForm()
    if form.validate():
        try:
            comment = comment_service.add_comment(
                member, case, form.body.data, therapy_session=note, parent_id=form.parent_id.data
            )
        except CommentError as error:
            db.rollback()
            form.form_errors.append(str(error))
            if isinstance(error, UnknownParent):
                form.parent_id.data = None
        else:
            url = _place_url(case.id, comment.session_id, comment.id)
            db.commit()
            flash("Reply added." if form.parent_id.data else "Comment added.", "success")
            return redirect(url)
    discussion = comment_service.thread(member, case.id, note.id if note else None)
    body = render_template(
        "practice/review/comment.html",
        form=form,
        case=case,
        therapy_session=note,
        thread=discussion,
    )
    audit.record("comments_viewed", obj=note or case, detail={"page": "comment_form"})
    db.commit()
    return body


@bp.route("/cases/<int:case_id>/comments", methods=["POST"])
@access.staff
def comment_case(case_id: int):
    return _comment(scoping.case_for_viewer(access.current_staff(), case_id), None)


@bp.route("/sessions/<int:session_id>/comments", methods=["POST"])
@access.staff
def comment_session(session_id: int):
    note = scoping.session_for_viewer(access.current_staff(), session_id)
    return _comment(note.case, note)


@bp.route("/comments")
@access.staff
def inbox():
    member = access.current_staff()
    page = comment_service.inbox(member, _page_number())
    returned = review_service.returned_notes(member)
    body = render_template("practice/review/inbox.html", page=page, returned=returned)
    detail = {"page": page.page, "shown": len(page.items), "returned_notes": len(returned)}
    audit.record("comments_viewed", detail=detail)
    db.commit()
    return body


@bp.route("/comments/<int:comment_id>")
@access.staff
def open_comment(comment_id: int):
    member = access.current_staff()
    comment = comment_service.comment_for_viewer(member, comment_id)
    if comment is None:
        abort(404)
    url = _place_url(comment.case_id, comment.session_id, comment.id)
    comment_service.open_comment(member, comment)
    db.commit()
    return redirect(url)


# --- What the shared layout and the case and session pages include ------------------------------
