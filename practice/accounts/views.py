"""Signing in and out of the standalone app; in a host app the host's login is used.

A refused sign-in is answered with the login page (200), never an error, so the request
commits what the check recorded: the failure count, the address throttle and the audit row.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from practice.accounts import operations, reauth
from practice.accounts.forms import LoginForm, ResumeForm
from practice.accounts.models import Account
from practice.core.i18n import _
from practice.core.settings import state
from practice.web import access, session_limits
from practice.web.urls import safe_next_url

bp = Blueprint("accounts", __name__)

# One answer for every refusal, so nobody learns which accounts exist or are locked.
LOGIN_REFUSED = "Email or password not recognised, or the account is locked for a while."


@bp.route("/login", methods=["GET", "POST"])
@access.public
def login():
    if not state(current_app).manages_accounts:
        return current_app.login_manager.unauthorized()
    if current_user.is_authenticated:
        return redirect(url_for("practice.cases.home"))
    form = LoginForm()
    if form.validate_on_submit():
        address = operations.client_address(request.remote_addr)
        account = operations.authenticate(form.email.data, form.password.data, address)
        if account is None:
            flash(LOGIN_REFUSED, "error")
            return render_template("practice/login.html", form=form), 200
        next_url = safe_next_url(request.args.get("next"))
        if account.totp_secret:
            session_limits.store_pending_login(account, next_url)
            return redirect(url_for("practice.security.login_code"))
        sign_in(account)
        return redirect(next_url or url_for("practice.cases.home"))
    return render_template("practice/login.html", form=form)


def sign_in(account: Account, second_factor: str = "") -> None:
    """Start the session of ``account`` after every step of signing in passed, and audit it."""
    session_limits.begin_session(account)
    operations.record_sign_in(account, second_factor)


@bp.route("/logout", methods=["POST"])
@access.staff
def logout():
    member = access.current_staff()
    signed_in = current_user.is_authenticated and state(current_app).manages_accounts
    # None for a bearer-token request or a host's user.
    account = current_user._get_current_object() if signed_in else None
    operations.sign_out(member, account)
    logout_user()
    session_limits.renew_csrf_secret()
    flash(_("You are signed out."), "info")
    if state(current_app).manages_accounts:
        return redirect(url_for("practice.accounts.login"))
    return redirect("/")


@bp.route("/resume", methods=["GET", "POST"])
@access.staff
def resume():
    """Host mode: go on after the tracker's part of the session expired, by confirming the
    password (the host's ``reauthenticate`` hook, throttled), without leaving the host."""
    if state(current_app).manages_accounts:
        return redirect(url_for("practice.cases.home"))
    next_url = safe_next_url(request.args.get("next")) or url_for("practice.cases.home")
    if not session_limits.needs_reentry():
        return redirect(next_url)
    form = ResumeForm()
    can_confirm = state(current_app).reauthenticate is not None
    if can_confirm and form.validate_on_submit():
        if reauth.confirm_password(form.password.data):
            session_limits.start_clock()
            return redirect(next_url)
        form.password.errors = [*form.password.errors, reauth.PASSWORD_WRONG]
    return render_template("practice/resume.html", form=form, can_confirm=can_confirm)
