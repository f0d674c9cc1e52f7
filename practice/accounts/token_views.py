"""Personal API tokens: the page where staff list, create and revoke their own.

A token's secret is shown once, on the page that answers its creation, and never again: only its
SHA-256 is stored. Token-authenticated requests cannot reach this page, so a leaked token cannot
mint others that would outlive its revocation; creating one asks for the password again, so a
browser session left open cannot either.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from practice.accounts import reauth, tokens
from practice.accounts.forms import NewTokenForm
from practice.accounts.models import ApiToken
from practice.core.database import db, utcnow
from practice.core.i18n import _
from practice.web import access
from practice.web.forms import ConfirmForm
from practice.web.refusals import refusal_shown_on

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _browser_only() -> None:
    """Tokens are managed from a signed-in browser, never with a token."""
    if access.authenticated_by_token():
        abort(403)


def _index(form: NewTokenForm):
    member = access.current_staff()
    return render_template(
        "practice/tokens/index.html",
        tokens=tokens.tokens_of(member),
        now=utcnow(),
        form=form,
        revoke=ConfirmForm(formdata=None),
    )


@bp.route("", methods=["GET"])
@access.staff
def index():
    _browser_only()
    return _index(NewTokenForm(formdata=None))


@bp.route("", methods=["POST"])
@access.staff
def create():
    _browser_only()
    form = NewTokenForm()
    if form.validate():
        # A wrong password counts towards the lock-out and is audited (``confirm_password``);
        # the page answers normally, so the request keeps that record.
        if not reauth.confirm_password(form.password.data):
            form.password.errors.append(_("That is not your password. No token was created."))
            return _index(form)
        with refusal_shown_on(form):
            secret, record = tokens.create_token(
                access.current_staff(),
                form.name.data,
                expires_in_days=form.expires_in_days.data,
                read_only=form.read_only.data,
            )
            return render_template("practice/tokens/created.html", secret=secret, token=record)
    return _index(form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@access.staff
def revoke(token_id: int):
    _browser_only()
    member = access.current_staff()
    record = db.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.staff_id == member.id)
    )
    if record is None:
        abort(404)
    tokens.revoke_token(record, member)
    flash(
        _("The token “%(name)s” was revoked; programs using it are now refused.", name=record.name),
        "success",
    )
    return redirect(url_for(".index"))
