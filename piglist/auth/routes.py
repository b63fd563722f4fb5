"""The account pages, and how a session cookie becomes a logged-in user."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from piglist.web.forms import form_status, save_form
from piglist.web.security import FOLLOWING_INVITE, is_safe_next, safe_next

from ..extensions import login_manager
from ..models import User
from ..webapp import share
from . import accounts, resets, signups
from .erase import erase_own_account
from .export import export_json
from .forms import (
    EmailSettingsForm,
    EraseForm,
    FinishSignupForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TokenForm,
)
from .ratelimits import login_limit, register_limit, reset_limits, seconds_until_reset

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: accounts.init_dummy_hash(state.app))


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """The cookie holds ``<id>.<login key>``; it works while that login's row exists."""
    return accounts.user_for_login(login_id)


def next_page(default: str = "main.dashboard") -> str:
    return safe_next(url_for(default))


def local_next() -> str | None:
    """The request's ``next`` when it is a path on this site, else None."""
    target = request.values.get("next")
    return target if is_safe_next(target) else None


def start_session(user, remember: bool = False, going_to: str | None = None) -> None:
    """A fresh session at every login: nothing from before (including the CSRF secret) survives,
    so a planted cookie can't ride into the account. The one exception is the invite link the
    visitor was following, and only when they are going back to that very link (``next``, or
    ``going_to``: a sign-up link's), which then joins them (groups.join checks the code again)."""
    accounts.start_login(user)
    following = session.get(FOLLOWING_INVITE)
    session.clear()
    login_user(user, remember=remember)
    if isinstance(following, str) and (going_to or next_page()) == url_for("groups.join", code=following):
        session[FOLLOWING_INVITE] = following


def end_session(message: str):
    """Forget this browser's login and go to the front page with ``message``."""
    # Clear first: logout_user() leaves the marker that makes Flask-Login delete the
    # "Keep me logged in" cookie, and clearing after it would wipe that marker.
    session.clear()
    logout_user()
    flash(message, "info")
    return redirect(url_for("main.index"))


def rate_limited_form(template: str, form_class):
    def on_breach(request_limit):
        form = form_class()
        wait = seconds_until_reset(request_limit)
        form.form_errors.append(f"Too many attempts. Please wait {wait} seconds and try again.")
        return render_template(template, form=form), 429

    return on_breach


@bp.route("/register", methods=["GET", "POST"])
@register_limit(on_breach=rate_limited_form("auth/register.html", RegisterForm))
def register():
    if current_user.is_authenticated:
        return redirect(next_page())  # "Start a family group" while logged in: the form it meant
    form = RegisterForm()
    if not form.is_submitted():
        # An invitation by e-mail brings the address it was sent to.
        form.email.data = request.args.get("email", "")[:254]
    # The same answer whether or not the address has an account: only its inbox is told which.
    saved, _ = save_form(
        form,
        lambda: signups.request_signup(form.email.data, form.display_name.data, local_next()),
    )
    if saved:
        return redirect(url_for("auth.signup_sent"))
    return render_template("auth/register.html", form=form), form_status(form)


@bp.get("/register/sent")
def signup_sent():
    return render_template(
        "auth/signup_sent.html", valid_hours=int(signups.VALID_FOR.total_seconds() // 3600)
    )


@bp.route("/register/finish/<token>", methods=["GET", "POST"])
def finish_signup(token: str):
    """Opening the link changes nothing (mail scanners open links too); saving the form does."""
    found = signups.signup_for_token(token)
    if found is None:
        flash(signups.DEAD_LINK, "error")
        return redirect(url_for("auth.register"))
    form = FinishSignupForm()
    if not form.is_submitted():
        form.display_name.data = found.display_name
    saved, made = save_form(
        form, lambda: signups.finish_signup(token, form.password.data, form.display_name.data)
    )
    if saved:
        user, landing = made
        landing = landing if is_safe_next(landing) else None  # signed by us, checked again all the same
        start_session(user, going_to=landing)
        flash(f"Welcome to Piglist, {user.display_name}!", "success")
        return redirect(landing or url_for("main.dashboard"))
    return render_template("auth/finish_signup.html", form=form, email=found.email), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@login_limit(on_breach=rate_limited_form("auth/login.html", LoginForm))
def login():
    if current_user.is_authenticated:
        return redirect(next_page())
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user, remember=form.remember.data)
            return redirect(next_page())
        form.form_errors.append("That email and password don't match an account.")
    return render_template("auth/login.html", form=form), form_status(form)


# The same words whether or not the address has an account.
RESET_SENT = (
    "If an account uses that address, a link to choose a new password is on its way. "
    "It works once, for one hour."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
@reset_limits(on_breach=rate_limited_form("auth/forgot_password.html", ForgotPasswordForm))
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        resets.request_reset(form.email.data)
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Opening the link changes nothing (mail scanners open links too); saving the form does."""
    if resets.user_for_token(token) is None:
        flash(resets.DEAD_LINK, "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    # A link used up in another tab meanwhile is told on the form, like any other refusal.
    saved, user = save_form(form, lambda: resets.reset_password(token, form.password.data))
    if saved:
        start_session(user)
        flash("Your new password is saved. Every other device has been logged out.", "success")
        return redirect(url_for("main.dashboard"))
    return render_template("auth/reset_password.html", form=form), form_status(form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.end_login(current_user)
    return end_session("You're logged out. See you soon!")


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    accounts.end_all_logins(current_user)
    return end_session("You're logged out on every device, this one included.")


@bp.route("/profile", methods=["GET"])
@login_required
def profile():
    return render_profile()


def render_profile(status: int = 200, new_token: str | None = None, **forms):
    forms.setdefault("profile_form", ProfileForm(formdata=None, display_name=current_user.display_name))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    forms.setdefault("token_form", TokenForm(formdata=None))
    forms.setdefault(
        "email_form",
        EmailSettingsForm(
            formdata=None, purchase_alerts=current_user.purchase_alerts, reminders=current_user.reminders
        ),
    )
    forms.setdefault("erase_form", EraseForm(formdata=None))
    return (
        render_template(
            "auth/profile.html",
            tokens=accounts.list_tokens(current_user),
            bookmarklet=share.bookmarklet(),
            new_token=new_token,
            **forms,
        ),
        status,
    )


@bp.route("/profile/name", methods=["POST"])
@login_required
def update_name():
    form = ProfileForm()
    if form.validate_on_submit():
        accounts.update_display_name(current_user, form.display_name.data)
        flash("Your name is saved.", "success")
        return redirect(url_for("auth.profile"))
    return render_profile(422, profile_form=form)


@bp.route("/profile/email", methods=["POST"])
@login_required
def update_email_settings():
    form = EmailSettingsForm()
    if form.validate_on_submit():
        accounts.set_purchase_alerts(current_user, form.purchase_alerts.data)
        accounts.set_reminders(current_user, form.reminders.data)
        flash("Your e-mail settings are saved.", "success")
        return redirect(url_for("auth.profile", _anchor="email"))
    return render_profile(422, email_form=form)


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm()
    saved, _ = save_form(
        form,
        lambda: accounts.change_password(current_user, form.current_password.data, form.new_password.data),
    )
    if saved:
        start_session(current_user._get_current_object())
        flash(
            "Your password is changed. Your other devices are logged out and your API tokens "
            "are revoked: create new ones for the programs that need them.",
            "success",
        )
        return redirect(url_for("auth.profile"))
    return render_profile(422, password_form=form)


@bp.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        _, secret = accounts.issue_token(current_user, form.name.data or "API token")
        # Shown once, in this answer only: the database keeps just its hash, and the secret
        # never rides in the (signed, not encrypted) session cookie.
        return render_profile(new_token=secret)
    return render_profile(422, token_form=form)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    accounts.revoke_token(current_user, token_id)
    flash("The token is revoked; programs using it are locked out.", "info")
    return redirect(url_for("auth.profile"))


@bp.get("/profile/export")
@login_required
def export():
    return Response(
        export_json(current_user),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="piglist-export.json"'},
    )


@bp.route("/profile/delete", methods=["POST"])
@login_required
def erase():
    form = EraseForm()
    erased, _ = save_form(
        form, lambda: erase_own_account(current_user._get_current_object(), form.password.data)
    )
    if erased:
        return end_session("Your account and everything in it are deleted. Goodbye, and thank you.")
    return render_profile(422, erase_form=form)
