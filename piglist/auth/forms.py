from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from piglist.web.forms import domain_check

from ..rules.values import check_password, clean_email
from .accounts import clean_display_name

STRONG_ENOUGH = "At least 8 characters, with an upper-case letter, a lower-case letter and a digit."


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Your name",
        validators=[domain_check(clean_display_name)],
        description="How your family will see you, e.g. “Mum” or “Uncle Joe”.",
    )
    email = EmailField(
        "Email",
        validators=[domain_check(clean_email)],
        description="We mail you a link to finish signing up.",
    )
    submit = SubmitField("Sign up")


class FinishSignupForm(FlaskForm):
    """The sign-up link's page (piglist.auth.signups): the name again, and the password."""

    display_name = StringField("Your name", validators=[domain_check(clean_display_name)])
    password = PasswordField(
        "Password",
        validators=[domain_check(check_password)],
        description=STRONG_ENOUGH,
    )
    submit = SubmitField("Create my account")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Please fill in your email."), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Please fill in your password.")])
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ProfileForm(FlaskForm):
    display_name = StringField("Your name", validators=[domain_check(clean_display_name)])
    submit = SubmitField("Save name")


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Please fill in your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[domain_check(lambda value: check_password(value, "new_password"))],
        description=STRONG_ENOUGH,
    )
    submit = SubmitField("Change password")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[Length(max=100)], description="e.g. “Home Assistant”")
    submit = SubmitField("Create token")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[domain_check(clean_email)])
    submit = SubmitField("Send me a link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[domain_check(check_password)],
        description=STRONG_ENOUGH,
    )
    submit = SubmitField("Save my new password")


class EmailSettingsForm(FlaskForm):
    purchase_alerts = BooleanField("Mail me when the owner changes or removes a gift I bought")
    reminders = BooleanField("Remind me of my groups' occasions, 3 weeks and 1 week before")
    submit = SubmitField("Save e-mail settings")


class EraseForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[InputRequired("Please type your current password.")]
    )
    confirm = BooleanField(
        "I understand: my account, my piglists and my tokens are deleted for good.",
        validators=[InputRequired("Tick the box to confirm that you want your account deleted.")],
    )
    submit = SubmitField("Delete my account")
