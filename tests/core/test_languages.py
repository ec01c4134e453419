"""The language of pages: the account's, else the visitor's choice, else the browser's, else
English; numbers, credits, money and dates written the way that language writes them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.core.i18n import format_credits_for_people, format_day, format_money, format_number, format_utc
from tests.factories import login, make_user

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def language_of(user) -> str | None:
    """The account's language as stored (the factory's object is not refreshed by requests)."""
    return db.session.execute(select(User.language).where(User.id == user.id)).scalar_one()


def html_lang(page: str) -> str:
    start = page.index('<html lang="') + len('<html lang="')
    return page[start : page.index('"', start)]


def test_a_visitor_without_a_preference_gets_english(client):
    page = client.get("/login").get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "Log in" in page and "Se connecter" not in page


def test_a_french_browser_gets_french_pages(client):
    response = client.get("/login", headers=FRENCH)
    assert "Accept-Language" in response.headers["Vary"]  # caches keep one copy per language
    page = response.get_data(as_text=True)
    assert html_lang(page) == "fr"
    assert "Se connecter" in page and "Artistes" in page
    assert ">Log in<" not in page


@pytest.mark.parametrize(
    "header, expected",
    [
        ("de-DE,de;q=0.9", "en"),
        ("de-DE,fr;q=0.8,en;q=0.5", "fr"),
        ("en-GB,fr;q=0.5", "en"),
        ("fr-CA", "fr"),
        ("", "en"),
    ],
)
def test_the_best_match_among_supported_languages(client, header, expected):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page) == expected


def test_a_visitor_picks_a_language_that_beats_the_browser(client):
    response = client.post("/language", data={"language": "en", "next": "/artists"}, headers=FRENCH)
    assert response.status_code == 302 and response.headers["Location"].endswith("/artists")
    assert html_lang(client.get("/artists", headers=FRENCH).get_data(as_text=True)) == "en"
    client.post("/language", data={"language": "", "next": "/"}, headers=FRENCH)  # back to the browser's
    assert html_lang(client.get("/artists", headers=FRENCH).get_data(as_text=True)) == "fr"


def test_the_picker_refuses_an_unknown_language_and_a_foreign_next(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 422
    response = client.post("/language", data={"language": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_accounts_language_wins_over_the_browser(client):
    user = make_user()
    user.language = "en"
    db.session.flush()
    login(client, user)
    page = client.get("/account", headers=FRENCH).get_data(as_text=True)
    assert html_lang(page) == "en" and "Your account" in page


def test_the_account_page_saves_the_language(client):
    user = make_user()
    login(client, user)
    response = client.post("/account", data={"action": "language", "language": "fr"}, follow_redirects=True)
    assert language_of(user) == "fr"
    page = response.get_data(as_text=True)
    assert html_lang(page) == "fr" and "Langue enregistrée." in page
    # The footer's picker, logged in, keeps the choice on the account too.
    client.post("/language", data={"language": "en", "next": "/account"})
    assert language_of(user) == "en"


def test_the_api_reads_and_sets_the_language(client):
    from tests.factories import bearer, token_for

    user = make_user()
    headers = bearer(token_for(user))
    response = client.patch("/api/v1/me", json={"language": "fr"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["user"]["language"] == "fr"
    assert client.patch("/api/v1/me", json={"language": "de"}, headers=headers).status_code == 422
    assert client.patch("/api/v1/me", json={"language": None}, headers=headers).get_json()["user"]["language"] is None


@pytest.mark.parametrize(
    "language, number, credits, money, day, moment",
    [
        ("en", "12,345", "1,234.5", "1,250.00 EUR", "Dec 2, 2026", "Dec 2, 2026, 18:05 UTC"),
        ("fr", "12\u202f345", "1\u202f234,5", "1\u202f250,00 EUR", "2 déc. 2026", "2 déc. 2026, 18:05 UTC"),
    ],
)
def test_numbers_credits_money_and_dates_per_language(app, language, number, credits, money, day, moment):
    at = datetime(2026, 12, 2, 18, 5, tzinfo=timezone.utc)
    with app.test_request_context("/"), force_locale(language):
        assert format_number(12345) == number
        assert format_credits_for_people(1_234_500_000) == credits
        assert format_credits_for_people(2000) == ("0.002" if language == "en" else "0,002")
        assert format_money(125_000, "EUR") == money
        assert format_day(at) == day
        assert format_utc(at) == moment


def test_a_french_page_writes_prices_the_french_way(client):
    login(client, make_user())
    wallet = client.get("/wallet", headers=FRENCH).get_data(as_text=True)
    assert html_lang(wallet) == "fr"


def test_french_pages_write_money_credits_and_dates_the_french_way(client):
    login(client, make_user())
    credits = client.get("/credits", headers=FRENCH).get_data(as_text=True)
    assert "6,25 EUR" in credits and "Acheter 5 crédits" in credits  # 5 credits at 1.25 EUR
    account = client.get("/account", headers=FRENCH).get_data(as_text=True)
    # The device's login time, e.g. "2 déc. 2026, 06:14 UTC" (not 2026-12-02 06:14).
    assert re.search(r"<td>\d{1,2} [a-zéû]+\.? \d{4}, \d\d:\d\d UTC</td>", account), account
    english = client.get("/credits").get_data(as_text=True)
    assert "6.25 EUR" in english and "Buy 5 credits" in english


def test_error_pages_speak_the_browsers_language(client):
    page = client.get("/nothing-here", headers=FRENCH)
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert html_lang(text) == "fr" and "Il n’y a rien à cette adresse." in text and "Retour à l’accueil" in text
    assert client.get("/api/v1/nothing-here", headers=FRENCH).get_json()["error"]["message"] == (
        "There is nothing at this address."  # the API stays English
    )


def test_the_outage_page_uses_the_browser_language_without_the_database(app):
    from app.core.error_handlers import outage_response
    from app.core.outages import Outage

    outage = Outage(503, "database_unavailable", "database", "The database is unavailable.")
    with app.test_request_context("/wallet", headers=FRENCH):
        response = outage_response(outage)
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and html_lang(text) == "fr"
    assert "Veuillez réessayer dans" in text and "Réessayer" in text


def test_a_french_proposal_page_writes_prices_the_french_way(client, app_ctx):
    from tests.factories import make_proposal

    proposal = make_proposal(changes={"first_play_price": "0.001"})
    login(client, proposal.author)
    html = client.get(f"/governance/proposals/{proposal.id}", headers=FRENCH).get_data(as_text=True)
    assert "Prix de la première écoute" in html
    assert "<strong>0,001 crédits</strong>" in html and "0,002 crédits" in html
    assert "1,022 crédits (1,28 EUR)" in html  # owning a track today
    assert "Brouillon" in html and ">brouillon<" in html  # the heading and the status tag


def test_the_data_export_holds_the_language(client):
    user = make_user()
    login(client, user)
    client.post("/account", data={"action": "language", "language": "fr"})
    export = client.get("/account/export").get_json()
    assert export["profile"]["language"] == "fr"


def test_refusals_on_pages_are_translated_and_the_api_keeps_english(client):
    user = make_user()
    page = client.post("/login", data={"email": user.email, "password": "wrong"}, headers=FRENCH)
    assert "E-mail ou mot de passe incorrect." in page.get_data(as_text=True)
    api = client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong"}, headers=FRENCH)
    assert api.get_json()["error"]["message"] == "Wrong email or password."
