"""Sessions: the DAP note, autosave, signing and addenda."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import StaffMember
from practice.accounts.reauth import confirm_password
from practice.cases import scoping
from practice.cases.models import CaseStatus
from practice.cases.views import record_case_view
from practice.core.database import db, utcnow
from practice.sessions import operations as service
from practice.sessions.forms import (
    AddendumForm,
    EditSessionForm,
    NoteForm,
    PayloadError,
    SessionDetailsForm,
    SignForm,
    autosave_payload,
)
from practice.sessions.models import TherapySession
from practice.sessions.operations import NoteConflict, SessionError
from practice.web import access
from practice.web.forms import VoidForm

bp = Blueprint("sessions", __name__)


def _render(template: str, session: TherapySession, page: str, status: int = 200, **context):
    """A session page, its read audited (detail: which page) and committed."""
    member = access.current_staff()
    body = render_template(
        f"practice/sessions/{template}",
        session=session,
        case=session.case,
        can_edit=scoping.can_edit(member, session.case),
        **context,
    )
    # After rendering: the commit expires every loaded object, which the page still needs.
    audit.record("session_viewed", obj=session, detail={"page": page})
    db.commit()
    return body, status


def _note_form_for(session: TherapySession, fields: dict[str, str]) -> NoteForm:
    """A note form holding ``fields``, based on the session's current version and note."""
    base = service.draft_digest(service.note_fields(session))
    return NoteForm(formdata=None, data={**fields, "version": session.version, "note_base": base})


def _note_page(session: TherapySession, member: StaffMember, status: int = 200, **forms):
    """The Note tab: the DAP editor for the counsellor's draft, otherwise the note read-only."""
    editing = not session.is_signed and scoping.can_edit(member, session.case)
    if editing and "note_form" not in forms:
        forms["note_form"] = _note_form_for(session, service.note_fields(session))
    if session.is_signed and scoping.can_edit(member, session.case):
        forms.setdefault("addendum_form", AddendumForm(formdata=None))
    return _render(
        "show.html",
        session,
        "note",
        status,
        editing=editing,
        partners=session.case.partners,
        attended={p.id for p in session.attendees},
        addenda=service.addenda_of(session) if session.is_signed else [],
        intact=service.note_intact_audited(session, "note_page"),
        now=utcnow(),
        **forms,
    )


def _json_error(status: int, code: str, message: str, fields: dict | None = None, **extra):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}, **extra}
    return jsonify(body), status


@bp.route("/cases/<int:case_id>/sessions/new", methods=["GET", "POST"])
@access.staff
def new(case_id: int):
    member = access.current_staff()
    case = scoping.case_for_editor(member, case_id)
    form = SessionDetailsForm()
    form.set_partners(case.partners)
    if not form.is_submitted():
        form.starts_at.data = utcnow().replace(second=0, microsecond=0, tzinfo=None)
        form.attendance.data = [p.id for p in case.partners]
    elif form.validate():
        try:
            session = service.record_session(case, member, form.details())
        except SessionError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash("Session recorded. Write the note below.", "success")
            return redirect(url_for(".show", session_id=session.id))
    closed = case.status == CaseStatus.CLOSED
    page = render_template("practice/sessions/new.html", form=form, case=case, closed=closed)
    # The form shows the case's reference and its partners' names, first time or re-shown.
    record_case_view(case, "new_session")
    return page


@bp.route("/sessions/<int:session_id>")
@access.staff
def show(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_viewer(member, session_id)
    return _note_page(session, member)


@bp.route("/sessions/<int:session_id>/note", methods=["POST"])
@access.staff
def save_note(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_editor(member, session_id)
    form = NoteForm()
    if session.is_signed:
        # Shown back read-only, so text typed in a stale tab can be copied into an addendum.
        form.form_errors.append("This note is signed; add an addendum instead.")
        return _note_page(session, member, unsaved_form=form)
    if not form.validate():
        return _note_page(session, member, note_form=form)
    try:
        service.save_note(session, form.fields(), form.version.data, form.note_base.data or None)
    except NoteConflict:
        db.rollback()
        return _conflict_page(session, form)
    except SessionError as error:
        db.rollback()
        form.form_errors.append(str(error))
        return _note_page(session, member, note_form=form)
    db.commit()
    flash("Note saved.", "success")
    return redirect(url_for(".show", session_id=session.id))


def _conflict_page(session: TherapySession, form: NoteForm):
    """Both texts side by side, and the user's text ready to save over the current version."""
    db.refresh(session)
    resubmit = _note_form_for(session, form.fields())
    return _render(
        "conflict.html",
        session,
        "conflict",
        409,
        saved=service.note_fields(session),
        yours=form.fields(),
        form=resubmit,
    )


@bp.route("/sessions/<int:session_id>/autosave", methods=["POST"])
@access.staff
def autosave(session_id: int):
    session = scoping.session_for_editor(access.current_staff(), session_id)
    try:
        payload = autosave_payload(request.get_json(silent=True))
        service.save_note(session, payload.fields, payload.version, payload.base)
    except PayloadError as error:
        return _json_error(400, "invalid", str(error), error.fields)
    except NoteConflict:
        db.rollback()
        db.refresh(session)
        message = "Someone else saved this note since you opened it. Nothing was overwritten."
        return _json_error(409, "conflict", message, current_version=session.version)
    except SessionError as error:
        db.rollback()
        code, status = ("signed", 409) if session.is_signed else ("invalid", 400)
        return _json_error(status, code, str(error), current_version=session.version)
    saved_at = session.updated_at.astimezone(UTC).strftime("%H:%M")
    version, base = session.version, service.draft_digest(service.note_fields(session))
    db.commit()
    return jsonify(version=version, base=base, saved_at=saved_at)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_editor(member, session_id)
    if session.is_signed:
        flash("This note is signed; its details can no longer change.", "error")
        return redirect(url_for(".show", session_id=session.id))
    form = EditSessionForm(data=_details_of(session))
    form.set_partners(session.case.partners)
    status = 200
    if form.validate_on_submit():
        try:
            service.update_details(session, form.details(), form.version.data)
        except NoteConflict:
            db.rollback()
            db.refresh(session)
            form.version.raw_data = [str(session.version)]
            form.form_errors.append(
                "Someone else changed this session since you opened it. Compare the details "
                "as saved now with yours below, then save again to keep yours."
            )
            status = 409
        except SessionError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash("Session details saved.", "success")
            return redirect(url_for(".show", session_id=session.id))
    return _render("edit.html", session, "edit", status, form=form, conflict=status == 409)


def _details_of(session: TherapySession) -> dict:
    return {
        "starts_at": session.starts_at.astimezone(UTC).replace(tzinfo=None),
        "duration_minutes": session.duration_minutes,
        "modality": session.modality,
        "attendance": [p.id for p in session.attendees],
        "eft_stage": session.eft_stage,
        "version": session.version,
    }


@bp.route("/sessions/<int:session_id>/sign", methods=["GET", "POST"])
@access.staff
def sign(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_editor(member, session_id)
    if session.is_signed:
        flash("This note is already signed.", "info")
        return redirect(url_for(".show", session_id=session.id))
    form = SignForm(data={"version": session.version})
    if form.validate_on_submit():
        if not confirm_password(form.password.data):
            audit.record("note_sign_failed", obj=session, outcome="denied")
            form.form_errors.append("That password is not right. The note was not signed.")
        else:
            try:
                service.sign_note(session, member, expected_version=form.version.data)
            except NoteConflict:
                db.rollback()
                db.refresh(session)
                form.version.raw_data = [str(session.version)]
                form.form_errors.append(
                    "The note changed since you opened this page, so it was not signed. "
                    "Read it again below, then sign."
                )
            except SessionError as error:
                db.rollback()
                form.form_errors.append(str(error))
            else:
                db.commit()
                flash("Note signed. Later corrections are addenda.", "success")
                return redirect(url_for(".show", session_id=session.id))
    return _render("sign.html", session, "sign", note=service.note_fields(session), form=form)


@bp.route("/sessions/<int:session_id>/addenda", methods=["POST"])
@access.staff
def add_addendum(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_editor(member, session_id)
    if not session.is_signed:
        flash("Addenda are for signed notes; edit the draft note instead.", "error")
        return redirect(url_for(".show", session_id=session.id))
    form = AddendumForm()
    if form.validate():
        try:
            service.add_addendum(session, member, form.text.data)
        except SessionError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash("Addendum added.", "success")
            return redirect(url_for(".show", session_id=session.id, _anchor="addenda"))
    return _note_page(session, member, addendum_form=form)


@bp.route("/sessions/<int:session_id>/void", methods=["GET", "POST"])
@access.staff
def void(session_id: int):
    member = access.current_staff()
    session = scoping.session_for_editor(member, session_id)
    form = VoidForm()
    form.submit.label.text = "Void session"
    if session.is_signed:
        flash("A signed note cannot be voided; add an addendum instead.", "error")
        return redirect(url_for(".show", session_id=session.id))
    if request.method == "POST":
        try:
            service.void_session(session, member, form.reason.data or "")
        except SessionError as error:
            db.rollback()
            form.reason.errors = [str(error)]
        else:
            db.commit()
            flash("Session voided. It stays in the case's history with your reason.", "success")
            return redirect(url_for("practice.case_page.show", case_id=session.case_id))
    return _render("void.html", session, "void", form=form)
