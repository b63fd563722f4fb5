"""Operators' commands."""

from sqlalchemy import select

from piglist.extensions import db
from piglist.models import User

from .conftest import PASSWORD


def test_create_user_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["piglist", "create-user", "gran@example.org", "--name", "Gran"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output
    user = db.session.scalar(select(User).where(User.email == "gran@example.org"))
    assert user.display_name == "Gran"
    assert user.check_password(PASSWORD)


def test_create_user_with_a_weak_password_fails_and_creates_nothing(runner):
    result = runner.invoke(
        args=["piglist", "create-user", "gran@example.org", "--name", "Gran"], input="weak\nweak\n"
    )
    assert result.exit_code != 0
    assert "password needs" in result.output
    assert db.session.scalar(select(User)) is None
