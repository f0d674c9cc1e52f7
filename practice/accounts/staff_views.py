"""Administrators manage staff accounts: add, re-role, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from practice.accounts import operations as accounts
from practice.accounts.models import Role, StaffMember
from practice.accounts.queries import all_staff, supervisors
from practice.accounts.staff_forms import ConfirmForm, EditStaffForm, NewStaffForm
from practice.core.database import db
from practice.core.settings import state
from practice.web import access

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _supervisor_choices(exclude: StaffMember | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(0, "— none —")]
    choices += [SelectChoice(s.id, s.display_name) for s in supervisors() if s is not exclude]
    return choices


def _supervisor(choice: int | None) -> StaffMember | None:
    return db.get(StaffMember, choice) if choice else None


@bp.route("/staff", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def staff():
    form = NewStaffForm()
    form.supervisor_id.choices = _supervisor_choices()
    manages_accounts = state(current_app).manages_accounts
    if form.validate_on_submit():
        try:
            member = accounts.create_staff(
                email=form.email.data,
                display_name=form.display_name.data,
                role=form.role.data,
                password=form.password.data if manages_accounts else None,
                user_id=None if manages_accounts else form.user_id.data,
                supervisor=_supervisor(form.supervisor_id.data),
            )
        except accounts.AccountError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(f"{member.display_name} was added as {member.role}.", "success")
            return redirect(url_for(".staff"))
    return render_template(
        "practice/admin/staff.html",
        form=form,
        members=all_staff(),
        manages_accounts=manages_accounts,
        confirm=ConfirmForm(),
    )


@bp.route("/staff/<int:member_id>", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit_staff(member_id: int):
    member = db.get(StaffMember, member_id) or abort(404)
    form = EditStaffForm(role=member.role, supervisor_id=member.supervisor_id or 0)
    form.supervisor_id.choices = _supervisor_choices(exclude=member)
    if form.validate_on_submit():
        try:
            accounts.change_role(member, form.role.data, _supervisor(form.supervisor_id.data))
        except accounts.AccountError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(f"{member.display_name} is now {member.role}.", "success")
            return redirect(url_for(".staff"))
    return render_template(
        "practice/admin/edit_staff.html",
        form=form,
        member=member,
        account=accounts.account_of(member) if state(current_app).manages_accounts else None,
        confirm=ConfirmForm(),
    )


@bp.route("/staff/<int:member_id>/two-factor/reset", methods=["POST"])
@access.roles(Role.ADMIN)
def reset_two_factor(member_id: int):
    member = db.get(StaffMember, member_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.reset_two_factor(member)
        except accounts.AccountError as error:
            db.rollback()
            flash(str(error), "error")
        else:
            db.commit()
            flash(
                f"Two-factor sign-in of {member.display_name} was turned off and their sessions "
                "ended; they can set it up again after signing in.",
                "success",
            )
    return redirect(url_for(".edit_staff", member_id=member.id))


@bp.route("/staff/<int:member_id>/active", methods=["POST"])
@access.roles(Role.ADMIN)
def toggle_active(member_id: int):
    member = db.get(StaffMember, member_id) or abort(404)
    if member.id == access.current_staff().id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for(".staff"))
    accounts.set_active(member, not member.active)
    db.commit()
    flash(
        f"{member.display_name} was {'reactivated' if member.active else 'deactivated'}.",
        "success",
    )
    return redirect(url_for(".staff"))
