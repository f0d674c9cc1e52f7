"""Sessions: the DAP note, autosave, signing and addenda.

Each view loads through the viewer's scope, validates its form, calls ``operations`` and
answers; the request commits (``practice.core.unit_of_work``). A refusal is shown on the form
that asked for it (``refusal_shown_on``); a stale version shows both texts side by side.
"""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import StaffMember
from practice.accounts.reauth import confirm_password
from practice.cases import scoping
from practice.cases.models import CaseStatus
from practice.core.database import db, utcnow
from practice.core.errors import Conflict, Refused
from practice.core.i18n import _
from practice.goals import views as goal_views
from practice.safety import operations as safety
from practice.sessions import operations, sign_check
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
from practice.sessions.signed_notes import NoteSigned
from practice.supervision import panels
from practice.web import access, localisation
from practice.web.forms import VoidForm
from practice.web.refusals import refusal_shown_on

bp = Blueprint("sessions", __name__)


def _render(
    template: str, therapy_session: TherapySession, page: str, status: int = 200, **context
):
    """A session page; its read is audited (detail: which page)."""
    member = access.current_staff()
    body = render_template(
        f"practice/sessions/{template}",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=scoping.can_edit(member, therapy_session.case),
        **context,
    )
    audit.record("session_viewed", obj=therapy_session, detail={"page": page})
    return body, status


def _note_form_for(therapy_session: TherapySession, fields: dict[str, str]) -> NoteForm:
    """A note form holding ``fields``, based on the session's current version and note."""
    base = operations.draft_digest(operations.note_fields(therapy_session))
    data = {**fields, "version": therapy_session.version, "note_base": base}
    return NoteForm(formdata=None, data=data)


def _note_page(therapy_session: TherapySession, member: StaffMember, status: int = 200, **forms):
    """The Note tab: the DAP editor for the counsellor's draft, otherwise the note read-only,
    with the session's supervision panel."""
    can_edit = scoping.can_edit(member, therapy_session.case)
    editing = not therapy_session.is_signed and can_edit
    if editing and "note_form" not in forms:
        forms["note_form"] = _note_form_for(
            therapy_session, operations.note_fields(therapy_session)
        )
    if therapy_session.is_signed and can_edit:
        forms.setdefault("addendum_form", AddendumForm(formdata=None))
    addenda = operations.addenda_of(therapy_session) if therapy_session.is_signed else []
    return _render(
        "show.html",
        therapy_session,
        "note",
        status,
        editing=editing,
        partners=therapy_session.case.partners,
        attended={p.id for p in therapy_session.attendees},
        addenda=addenda,
        intact=operations.note_intact_audited(therapy_session, "note_page"),
        review_panel=panels.review_panel(therapy_session, addenda),
        goal_ratings=goal_views.session_panel(therapy_session, editing=can_edit),
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
        form.starts_at.data = utcnow().replace(second=0, microsecond=0)
        form.attendance.data = [p.id for p in case.partners]
        # A new session starts at the case's current stage (eft.CASE_STAGE_RULE).
        form.eft_stage.data = case.eft_stage
    elif form.validate():
        with refusal_shown_on(form):
            therapy_session = operations.record_session(case, member, form.details())
            flash(_("Session recorded. Write the note below."), "success")
            return redirect(url_for(".show", session_id=therapy_session.id))
    closed = case.status == CaseStatus.CLOSED
    page = render_template("practice/sessions/new.html", form=form, case=case, closed=closed)
    # The form shows the case's reference and its partners' names, first time or re-shown.
    audit.record("case_viewed", obj=case, detail={"view": "new_session"})
    return page


@bp.route("/sessions/<int:session_id>")
@access.staff
def show(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_viewer(member, session_id)
    return _note_page(therapy_session, member)


@bp.route("/sessions/<int:session_id>/note", methods=["POST"])
@access.staff
def save_note(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    form = NoteForm()
    if therapy_session.is_signed:
        # Shown back read-only, so text typed in a stale tab can be copied into an addendum.
        form.form_errors.append(_("This note is signed; add an addendum instead."))
        return _note_page(therapy_session, member, unsaved_form=form)
    if not form.validate():
        return _note_page(therapy_session, member, note_form=form)
    try:
        with refusal_shown_on(form):
            operations.save_note(
                therapy_session, form.fields(), form.version.data, form.note_base.data or None
            )
            flash(_("Note saved."), "success")
            return redirect(url_for(".show", session_id=therapy_session.id))
    except Conflict:
        return _conflict_page(therapy_session, form)
    return _note_page(therapy_session, member, note_form=form)


def _conflict_page(therapy_session: TherapySession, form: NoteForm):
    """Both texts side by side, and the user's text ready to save over the current version."""
    db.refresh(therapy_session)
    resubmit = _note_form_for(therapy_session, form.fields())
    return _render(
        "conflict.html",
        therapy_session,
        "conflict",
        409,
        saved=operations.note_fields(therapy_session),
        yours=form.fields(),
        form=resubmit,
    )


@bp.route("/sessions/<int:session_id>/autosave", methods=["POST"])
@access.staff
def autosave(session_id: int):
    therapy_session = scoping.session_for_editor(access.current_staff(), session_id)
    try:
        payload = autosave_payload(request.get_json(silent=True))
        operations.save_note(therapy_session, payload.fields, payload.version, payload.base)
    except PayloadError as error:
        return _json_error(400, "invalid", str(error), error.fields)
    except Conflict:
        db.refresh(therapy_session)
        message = "Someone else saved this note since you opened it. Nothing was overwritten."
        return _json_error(409, "conflict", message, current_version=therapy_session.version)
    except NoteSigned as refusal:
        return _json_error(409, "signed", str(refusal), current_version=therapy_session.version)
    except Refused as refusal:
        return _json_error(400, "invalid", str(refusal), current_version=therapy_session.version)
    saved_at = localisation.local_time_of_day(therapy_session.updated_at)
    base = operations.draft_digest(operations.note_fields(therapy_session))
    return jsonify(version=therapy_session.version, base=base, saved_at=saved_at)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    if therapy_session.is_signed:
        flash(_("This note is signed; its details can no longer change."), "error")
        return redirect(url_for(".show", session_id=therapy_session.id))
    form = EditSessionForm(data=_details_of(therapy_session))
    form.set_partners(therapy_session.case.partners)
    status = 200
    if form.validate_on_submit():
        try:
            with refusal_shown_on(form):
                operations.update_details(therapy_session, form.details(), form.version.data)
                flash(_("Session details saved."), "success")
                return redirect(url_for(".show", session_id=therapy_session.id))
        except Conflict:
            db.refresh(therapy_session)
            form.version.raw_data = [str(therapy_session.version)]
            form.form_errors.append(
                _(
                    "Someone else changed this session since you opened it. Compare the details "
                    "as saved now with yours below, then save again to keep yours."
                )
            )
            status = 409
    return _render("edit.html", therapy_session, "edit", status, form=form, conflict=status == 409)


def _details_of(therapy_session: TherapySession) -> dict:
    return {
        "starts_at": therapy_session.starts_at.astimezone(UTC),
        "duration_minutes": therapy_session.duration_minutes,
        "modality": therapy_session.modality,
        "attendance": [p.id for p in therapy_session.attendees],
        "eft_stage": therapy_session.eft_stage,
        "version": therapy_session.version,
    }


@bp.route("/sessions/<int:session_id>/sign", methods=["GET", "POST"])
@access.staff
def sign(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    if therapy_session.is_signed:
        flash(_("This note is already signed."), "info")
        return redirect(url_for(".show", session_id=therapy_session.id))
    form = SignForm(data={"version": therapy_session.version})
    missing = sign_check.missing_before_signing(therapy_session)
    screen_problems = safety.joint_signing_problems(therapy_session)
    if form.validate_on_submit():
        if missing and not form.confirm_missing.data:
            form.confirm_missing.errors.append(
                _("Tick this box to sign with what is listed missing, or record it first.")
            )
        elif screen_problems and not form.override_reason.data:
            form.override_reason.errors.append(
                "Screen each partner first, or give a reason to sign without a current screen."
            )
        elif not confirm_password(form.password.data):
            audit.record("note_sign_failed", obj=therapy_session, outcome="denied")
            form.form_errors.append(_("That password is not right. The note was not signed."))
        else:
            try:
                with refusal_shown_on(form):
                    operations.sign_note(
                        therapy_session,
                        member,
                        form.version.data,
                        override_reason=form.override_reason.data if screen_problems else None,
                    )
                    flash(_("Note signed. Later corrections are addenda."), "success")
                    return redirect(url_for(".show", session_id=therapy_session.id))
            except Conflict:
                db.refresh(therapy_session)
                form.version.raw_data = [str(therapy_session.version)]
                form.form_errors.append(
                    _(
                        "The note changed since you opened this page, so it was not signed. "
                        "Read it again below, then sign."
                    )
                )
    note = operations.note_fields(therapy_session)
    return _render(
        "sign.html",
        therapy_session,
        "sign",
        note=note,
        form=form,
        missing=missing,
        screen_problems=screen_problems,
        screen_days=safety.screen_days(),
    )


@bp.route("/sessions/<int:session_id>/addenda", methods=["POST"])
@access.staff
def add_addendum(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    if not therapy_session.is_signed:
        flash(_("Addenda are for signed notes; edit the draft note instead."), "error")
        return redirect(url_for(".show", session_id=therapy_session.id))
    form = AddendumForm()
    if form.validate():
        with refusal_shown_on(form):
            operations.add_addendum(therapy_session, member, form.text.data)
            flash(_("Addendum added."), "success")
            return redirect(url_for(".show", session_id=therapy_session.id, _anchor="addenda"))
    return _note_page(therapy_session, member, addendum_form=form)


@bp.route("/sessions/<int:session_id>/void", methods=["GET", "POST"])
@access.staff
def void(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    form = VoidForm()
    form.submit.label.text = "Void session"
    if therapy_session.is_signed:
        flash(_("A signed note cannot be voided; add an addendum instead."), "error")
        return redirect(url_for(".show", session_id=therapy_session.id))
    if request.method == "POST":
        with refusal_shown_on(form):
            operations.void_session(therapy_session, member, form.reason.data or "")
            flash(_("Session voided. It stays in the case's history with your reason."), "success")
            return redirect(url_for("practice.case_page.show", case_id=therapy_session.case_id))
    return _render("void.html", therapy_session, "void", form=form)
