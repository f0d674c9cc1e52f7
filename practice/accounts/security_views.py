"""Account security for the standalone app: the login's second step, password and two-factor.

A wrong password or code is answered on the page (200), never as an error, so the request
commits what the check recorded towards the lock-out; the operations it calls never commit.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from practice.accounts import operations, reauth, totp
from practice.accounts.forms import (
    CodeForm,
    DisableTwoFactorForm,
    EnrolForm,
    LocalPreferencesForm,
    PasswordChangeForm,
    RecoveryCodesForm,
)
from practice.accounts.models import Account
from practice.accounts.views import sign_in
from practice.core.database import db, utcnow
from practice.core.i18n import _
from practice.core.settings import state
from practice.web import access, session_limits
from practice.web.refusals import refusal_shown_on

bp = Blueprint("security", __name__)

CODE_REFUSED = "That code was not accepted. Enter the current code from your app."
CODES_PAUSED = "Too many wrong codes: sign-in is paused for a while."


def _own_account() -> Account:
    """The signed-in standalone account; a host app manages its users' credentials itself."""
    if not state(current_app).manages_accounts or not isinstance(
        current_user._get_current_object(), Account
    ):
        abort(404)
    return current_user._get_current_object()


@bp.route("/login/code", methods=["GET", "POST"])
@access.public
def login_code():
    if not state(current_app).manages_accounts:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("practice.cases.home"))
    pending = session_limits.pending_login()
    account = db.get(Account, pending["account"]) if pending else None
    if account is None or account.session_version != pending["version"]:
        session_limits.clear_pending_login()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("practice.accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        address = operations.client_address(request.remote_addr)
        passed = operations.verify_second_factor(account, form.code.data, address)
        if passed:
            next_url = session_limits.pending_next_url(pending)
            sign_in(account, second_factor=passed)
            if passed == "recovery_code":
                left = totp.recovery_codes_left(account)
                flash(
                    _(
                        "You used a recovery code; %(left)s left. Make new ones on your account "
                        "page if you are running low.",
                        left=left,
                    ),
                    "info",
                )
            return redirect(next_url or url_for("practice.cases.home"))
        # The password was right, so saying that the account is paused reveals nothing new.
        locked = account.locked_until is not None and account.locked_until > utcnow()
        flash(f"{CODE_REFUSED} {CODES_PAUSED}" if locked else CODE_REFUSED, "error")
        return render_template("practice/security/code.html", form=form), 200
    return render_template("practice/security/code.html", form=form)


@bp.route("/account")
@access.staff
def account():
    if not state(current_app).manages_accounts:
        return _host_account_page()
    own = _own_account()
    return _account_page(own)


def _preferences_form(form: LocalPreferencesForm | None = None) -> LocalPreferencesForm:
    """The time zone and locale form, filled with the member's choices when first shown."""
    if form is None:
        member = access.current_staff()
        form = LocalPreferencesForm(
            data={"time_zone": member.time_zone or "", "locale": member.locale or ""}
        )
    config = current_app.config
    form.offer(config["PRACTICE_TIMEZONE"], config["PRACTICE_LOCALE"])
    return form


def _host_account_page(preferences_form: LocalPreferencesForm | None = None) -> str:
    return render_template(
        "practice/security/host_account.html",
        preferences_form=_preferences_form(preferences_form),
    )


@bp.route("/account/time-and-language", methods=["POST"])
@access.staff
def local_preferences():
    form = _preferences_form(LocalPreferencesForm())
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.set_local_preferences(
                access.current_staff(), form.time_zone.data, form.locale.data
            )
            flash(_("Your time zone and language are saved."), "success")
            return redirect(url_for(".account"))
    if not state(current_app).manages_accounts:
        return _host_account_page(form)
    return _account_page(_own_account(), preferences_form=form)


def _account_page(
    own: Account,
    password_form=None,
    disable_form=None,
    recovery_form=None,
    preferences_form: LocalPreferencesForm | None = None,
) -> str:
    return render_template(
        "practice/security/account.html",
        account=own,
        preferences_form=_preferences_form(preferences_form),
        password_form=password_form or PasswordChangeForm(),
        disable_form=disable_form or DisableTwoFactorForm(),
        recovery_form=recovery_form or RecoveryCodesForm(),
        recovery_codes_left=totp.recovery_codes_left(own) if own.totp_secret else 0,
        totp_required=current_app.config["PRACTICE_TOTP_REQUIRED"],
    )


@bp.route("/account/password", methods=["POST"])
@access.staff
def change_password():
    own = _own_account()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        address = operations.client_address(request.remote_addr)
        # Checked apart from the change, so a refused change keeps the wrong guess counted.
        if not operations.confirm_current_password(own, form.current_password.data, address):
            form.current_password.errors.append(_("The current password is not right."))
            return _account_page(own, password_form=form)
        with refusal_shown_on(form):
            operations.change_password(own, form.new_password.data)
            session_limits.renew_session(own)
            flash(
                "Your password is changed. Any other sessions were signed out and your API "
                "tokens revoked.",
                "success",
            )
            return redirect(url_for(".account"))
    return _account_page(own, password_form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access.staff
def enrol():
    own = _own_account()
    if own.totp_secret:
        flash(_("Two-factor sign-in is already on."), "info")
        return redirect(url_for(".account"))
    secret = totp.start_enrolment(own)
    form = EnrolForm()
    if form.validate_on_submit():
        # Checked first, and counted towards the lock-out when wrong (the page answers 200,
        # so the request keeps that record).
        if not reauth.confirm_password(form.password.data):
            form.password.errors.append(_("That is not your password."))
        else:
            codes = totp.confirm_enrolment(own, form.code.data)
            if codes is not None:
                flash(
                    "Two-factor sign-in is on. You will be asked for a code at sign-in.", "success"
                )
                return _show_recovery_codes(codes)
            form.code.errors.append(CODE_REFUSED)
    uri = totp.provisioning_uri(own, secret)
    return render_template(
        "practice/security/enrol.html",
        form=form,
        secret=totp.grouped(secret),
        qr_code=totp.qr_code_data_uri(uri),
        totp_required=current_app.config["PRACTICE_TOTP_REQUIRED"],
    )


@bp.route("/account/two-factor/disable", methods=["POST"])
@access.staff
def disable_two_factor():
    own = _own_account()
    form = DisableTwoFactorForm()
    if current_app.config["PRACTICE_TOTP_REQUIRED"]:
        flash(_("This practice requires two-factor sign-in; it cannot be turned off."), "error")
        return redirect(url_for(".account"))
    if form.validate_on_submit():
        if reauth.confirm_password(form.password.data):
            totp.disable(own)
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for(".account"))
        form.password.errors.append(_("That is not your password."))
    return _account_page(own, disable_form=form)


@bp.route("/account/recovery-codes", methods=["POST"])
@access.staff
def recovery_codes():
    own = _own_account()
    form = RecoveryCodesForm()
    if not own.totp_secret:
        return redirect(url_for(".account"))
    if form.validate_on_submit():
        if reauth.confirm_password(form.recovery_password.data):
            codes = totp.new_recovery_codes(own)
            return _show_recovery_codes(codes)
        form.recovery_password.errors.append(_("That is not your password."))
    return _account_page(own, recovery_form=form)


def _show_recovery_codes(codes: list[str]) -> str:
    """The new codes, shown this once (never stored readable, never redirected to)."""
    return render_template("practice/security/recovery_codes.html", codes=codes)
