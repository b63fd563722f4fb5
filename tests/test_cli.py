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


def test_demo_creates_a_living_family_once(runner):
    from piglist.models import Gift, Group

    first = runner.invoke(args=["piglist", "demo"])
    assert first.exit_code == 0, first.output
    assert "mum@demo.piglist.example" in first.output and "Piglist-Demo-1" in first.output
    second = runner.invoke(args=["piglist", "demo"])
    assert second.exit_code == 0 and "Found the demo family" in second.output
    assert len(db.session.scalars(select(Group)).all()) == 1
    gifts = db.session.scalars(select(Gift)).all()
    assert len(gifts) == 12
    assert {gift.status for gift in gifts} == {"available", "purchased"}
    assert len(db.session.scalars(select(User)).all()) == 4


def test_demo_if_empty_leaves_a_used_database_alone(runner):
    from . import factories

    factories.make_user()
    result = runner.invoke(args=["piglist", "demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert len(db.session.scalars(select(User)).all()) == 1
