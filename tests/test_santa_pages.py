"""Secret Santa on the website and in the mail: an admin sets up and draws the family's exchange,
each participant opens their own name, a Santa asks and the recipient answers; the mails say
no more than the pages."""

from __future__ import annotations

from piglist.extensions import db
from piglist.models import Exchange, ExchangeParticipant

from . import factories
from .support.clients import member_client, post
from .support.clients import page_text as text
from .support.jobs import run_jobs
from .support.santa import new_exchange, pairs_of


def setup_form(family, people, **fields):
    data = {
        "name": "Christmas 2026",
        "participant_ids": [str(p.id) for p in people],
        "exclusions": [f"{family.admin.id}-{family.giver.id}"],
        "avoid_previous": "y",
        "budget": "30",
        "reveal_date": "",
        **fields,
    }
    return data


def test_the_admin_sets_up_the_exchange_with_a_couple_kept_apart(app, family, people):
    mum = member_client(app, family.admin)
    page = text(mum.get(f"/groups/{family.group.id}/exchanges"))
    assert "Set up an exchange" in page and "Dad & Mum" in page
    response = post(mum, f"/groups/{family.group.id}/exchanges", **setup_form(family, people))
    assert response.status_code == 302
    exchange = db.session.query(Exchange).one()
    assert response.headers["Location"] == f"/groups/{family.group.id}/exchanges/{exchange.id}"
    assert [(e.first_id, e.second_id) for e in exchange.exclusions] == [(family.admin.id, family.giver.id)]
    assert exchange.avoid_previous and str(exchange.budget) == "30.00"


def test_a_bad_setup_shows_the_reason_on_the_form_and_makes_nothing(app, family, people):
    mum = member_client(app, family.admin)
    response = post(
        mum, f"/groups/{family.group.id}/exchanges", **setup_form(family, people[:2], budget="20")
    )
    assert response.status_code == 422
    assert "A draw needs at least 3 people" in text(response)
    # The budget is read as the group writes amounts: a bad one is told under its field.
    response = post(mum, f"/groups/{family.group.id}/exchanges", **setup_form(family, people, budget="lots"))
    assert response.status_code == 422
    assert "Write the budget as an amount such as 1,234.50." in text(response)
    assert db.session.query(Exchange).count() == 0


def test_members_see_the_exchanges_but_only_admins_set_them_up(app, family, people):
    dad = member_client(app, family.giver)
    assert "Set up an exchange" not in text(dad.get(f"/groups/{family.group.id}/exchanges"))
    response = post(dad, f"/groups/{family.group.id}/exchanges", **setup_form(family, people))
    assert response.status_code == 403
    stranger = member_client(app, factories.make_user(display_name="Stranger"))
    assert stranger.get(f"/groups/{family.group.id}/exchanges").status_code == 404
    assert db.session.query(Exchange).count() == 0


def test_the_family_journey_draw_open_ask_and_answer(app, api, family, people, mailbox):
    made = new_exchange(api(family.admin), family.group, people, budget="30")
    base = f"/groups/{family.group.id}/exchanges/{made['id']}"
    mum = member_client(app, family.admin)
    assert post(mum, f"{base}/draw").status_code == 302
    assert "The names are drawn" in text(mum.get(base))
    run_jobs(app)
    assert sorted(to for to, _ in mailbox.messages) == sorted([p.email] for p in people)
    pairs = pairs_of(made["id"])
    names = {p.id: p.display_name for p in people}
    for _, message in mailbox.messages:
        body = mailbox.text(message) + mailbox.html(message)
        assert "the names are drawn for Christmas" in message["Subject"]
        reader = next(p for p in people if p.email == message["To"])
        # The mail names its reader and nobody else taking part.
        assert all(names[p.id] not in body for p in people if p.id != reader.id)

    tom_santa = next(p for p in people if pairs[p.id] == family.owner.id)
    santa = member_client(app, tom_santa)
    page = text(santa.get(base))
    assert "Show me whose Santa I am" in page and "Tom" not in page.split("Who takes part")[0]
    assert post(santa, f"{base}/open").status_code == 302
    page = text(santa.get(base))
    assert "You're Secret Santa for <strong>Tom</strong>" in page and "Budget: $30" in page
    assert f"/groups/{family.group.id}/piglists/{family.owner.id}" in page

    mailbox.messages.clear()
    response = post(santa, f"{base}/messages", to="recipient", body="What size are you?")
    assert response.status_code == 302
    run_jobs(app)
    [(to, question)] = mailbox.messages
    assert to == [family.owner.email]
    said = " ".join([mailbox.text(question), mailbox.html(question), question["From"], question["Subject"]])
    assert "Your Secret Santa asks: What size are you?" in mailbox.text(question)
    assert tom_santa.display_name not in said and tom_santa.email not in said

    tom = member_client(app, family.owner)
    page = text(tom.get(base))
    assert "Your Secret Santa asks: What size are you?" in page
    mailbox.messages.clear()
    assert post(tom, f"{base}/messages", to="santa", body="Medium, please").status_code == 302
    run_jobs(app)
    [(to, answer)] = mailbox.messages
    assert to == [tom_santa.email] and "Tom answers: Medium, please" in mailbox.text(answer)
    assert "Tom answers: Medium, please" in text(santa.get(base))


def test_an_empty_message_is_refused_on_the_page(app, api, family, people):
    made = new_exchange(api(family.admin), family.group, people)
    api(family.admin).post(f"/exchanges/{made['id']}/draw")
    base = f"/groups/{family.group.id}/exchanges/{made['id']}"
    tom = member_client(app, family.owner)
    response = post(tom, f"{base}/messages", to="santa", body="   ")
    assert response.status_code == 422 and "Please fill in the body" in text(response)
    assert (
        db.session.query(ExchangeParticipant).filter(ExchangeParticipant.opened_at.is_not(None)).count() == 0
    )


def test_an_exchange_under_another_groups_address_is_not_found(app, api, family, people):
    made = new_exchange(api(family.admin), family.group, people)
    other = factories.make_group(family.admin, name="Other")
    mum = member_client(app, family.admin)
    assert mum.get(f"/groups/{other.id}/exchanges/{made['id']}").status_code == 404
    assert post(mum, f"/groups/{other.id}/exchanges/{made['id']}/draw").status_code == 404
    assert db.session.get(Exchange, made["id"]).status == "open"


def test_the_page_says_why_a_draw_is_impossible(app, api, family):
    trio = [family.admin, family.owner, family.giver]
    made = new_exchange(
        api(family.admin), family.group, trio, exclusions=[[family.admin.id, family.owner.id]]
    )
    base = f"/groups/{family.group.id}/exchanges/{made['id']}"
    mum = member_client(app, family.admin)
    response = post(mum, f"{base}/draw")
    assert response.status_code == 302
    assert "The exclusions leave no way to draw" in text(mum.get(base))
