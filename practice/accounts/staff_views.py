"""Administrators manage staff accounts: add, re-role, deactivate, reset two-factor sign-in."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from practice.accounts import operations
from practice.accounts.forms import EditStaffForm, NewStaffForm
from practice.accounts.models import Role, StaffMember
from practice.accounts.queries import account_of, all_staff, supervisors
from practice.cases import handover
from practice.core.database import db
from practice.core.i18n import _
from practice.core.settings import state
from practice.web import access
from practice.web.forms import ConfirmForm
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _supervisor_choices(exclude: StaffMember | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(0, "— none —")]
    choices += [SelectChoice(s.id, s.display_name) for s in supervisors() if s is not exclude]
    return choices


def _supervisor(choice: int | None) -> StaffMember | None:
    return db.get(StaffMember, choice) if choice else None


def _member(member_id: int) -> StaffMember:
    return db.get(StaffMember, member_id) or abort(404)


@bp.route("/staff", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def staff():
    form = NewStaffForm()
    form.supervisor_id.choices = _supervisor_choices()
    manages_accounts = state(current_app).manages_accounts
    if form.validate_on_submit():
        with refusal_shown_on(form):
            member = operations.create_staff(
                email=form.email.data,
                display_name=form.display_name.data,
                role=form.role.data,
                password=form.password.data if manages_accounts else None,
                user_id=None if manages_accounts else form.user_id.data,
                supervisor=_supervisor(form.supervisor_id.data),
            )
            flash(
                _(
                    "%(display_name)s was added as %(role)s.",
                    display_name=member.display_name,
                    role=member.role,
                ),
                "success",
            )
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
    member = _member(member_id)
    form = EditStaffForm(role=member.role, supervisor_id=member.supervisor_id or 0)
    form.supervisor_id.choices = _supervisor_choices(exclude=member)
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.change_role(member, form.role.data, _supervisor(form.supervisor_id.data))
            flash(
                _(
                    "%(display_name)s is now %(role)s.",
                    display_name=member.display_name,
                    role=member.role,
                ),
                "success",
            )
            return redirect(url_for(".staff"))
    return render_template(
        "practice/admin/edit_staff.html",
        form=form,
        member=member,
        account=account_of(member) if state(current_app).manages_accounts else None,
        confirm=ConfirmForm(),
    )


@bp.route("/staff/<int:member_id>/two-factor/reset", methods=["POST"])
@access.roles(Role.ADMIN)
def reset_two_factor(member_id: int):
    member = _member(member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        with refusal_flashed():
            operations.reset_two_factor(member)
            flash(
                f"Two-factor sign-in of {member.display_name} was turned off and their sessions "
                "ended; they can set it up again after signing in.",
                "success",
            )
    return redirect(url_for(".edit_staff", member_id=member.id))


@bp.route("/staff/<int:member_id>/active", methods=["POST"])
@access.roles(Role.ADMIN)
def toggle_active(member_id: int):
    member = _member(member_id)
    if member.active and handover.open_cases_of(member):
        # Nobody leaves cases behind: ask where each goes first.
        return redirect(url_for("practice.handover.deactivate", member_id=member.id))
    with refusal_flashed():
        operations.set_active(member, not member.active, by=access.current_staff())
        flash(
            f"{member.display_name} was {'reactivated' if member.active else 'deactivated'}.",
            "success",
        )
    return redirect(url_for(".staff"))
