"""The artist dashboard and the public books over JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.analytics.services import rollups
from app.analytics.services.transparency import MONEY_FIGURES
from app.core.extensions import db
from app.core.types import utcnow
from app.payments.models import Payout, PayoutMethod, PayoutStatus
from app.payments.services import wallet
from app.streaming.models import PreviewPlay
from ledger.schema import PricingVersion
from tests.analytics_support import month_recount, random_history
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for


@pytest.fixture
def scene(app_ctx):
    """An artist (managed by ``manager``) with two tracks, listeners who played them."""
    manager = make_user(display_name="Manager")
    artist = make_artist(name="Harbour Lights", manager=manager)
    release = make_release(artist=artist)
    tracks = [make_track(release=release, title="Morning Ferry"), make_track(release=release, title="Gulls")]
    listeners = []
    for i, country in enumerate(["FR"] * 5 + ["IS", "PT"]):
        user = make_user(display_name=f"Fan {i}", country=country)
        listeners.append(user)
        wallet.admin_top_up(user.id, "2", f"t-{user.id}")
        for n in range(i % 3 + 1):
            wallet.charge_play(user, tracks[0], f"p-{user.id}-{n}")
    wallet.charge_play(listeners[0], tracks[1], "p-gulls")
    wallet.buy_now(listeners[1], tracks[1].id, "buy-gulls")
    listeners[2].visible_to_artists = True
    db.session.commit()
    rollups.update()
    db.session.commit()
    return {"manager": manager, "artist": artist, "tracks": tracks, "listeners": listeners}


def test_only_managers_and_admins_see_the_dashboard(client, scene):
    url = f"/api/v1/artists/{scene['artist'].id}/analytics"
    assert client.get(url).status_code == 401
    stranger = make_user()
    r = client.get(url, headers=bearer(token_for(stranger)))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert client.get(url, headers=bearer(token_for(scene["manager"]))).status_code == 200
    admin = make_user(role=Role.ADMIN)
    assert client.get(url, headers=bearer(token_for(admin))).status_code == 200
    assert client.get("/api/v1/artists/999999/analytics", headers=bearer(token_for(admin))).status_code == 404


def test_dashboard_figures(client, scene):
    headers = bearer(token_for(scene["manager"]))
    d = client.get(f"/api/v1/artists/{scene['artist'].id}/analytics", headers=headers).json["dashboard"]
    t = d["totals"]
    # Fans 0..6 played Morning Ferry 1,2,3,1,2,3,1 times; fan 0 played Gulls once; fan 1 bought it.
    assert t["plays"] == 14 and t["charged_plays"] == 14 and t["unique_listeners"] == 7
    assert t["buy_nows"] == 1 and t["first_plays"] == 8
    assert t["buy_now_spent"]["credits"] == "1.022"
    # 14 plays: 7 firsts (0.002) + 4 seconds (0.004) + 2 thirds (0.008) + Gulls 0.002, + buy-now 1.022
    paid = 8 * 2_000 + 4 * 4_000 + 2 * 8_000 + 1_022_000
    assert t["earnings"]["artist"]["micro"] + t["earnings"]["coop"]["micro"] == paid
    assert t["earnings"]["artist"]["micro"] == 8 * 1_400 + 4 * 2_800 + 2 * 5_600 + 715_400
    # 0.749 credits at 1.25 EUR = 0.93625 EUR, rounded down to the cent
    assert t["earnings"]["artist"]["credits"] == "0.749" and t["earnings"]["artist"]["eur"] == "0.93"
    assert len(d["daily"]) == 30 and d["daily"][-1]["plays"] == 14 and d["daily"][-1]["listeners"] == 7
    assert d["funnel"]["owners"] == 1
    # Summed over the tracks: Morning Ferry 3 at play 1 (fans 0, 3, 6), Gulls 1 (fan 0).
    assert [s["listeners"] for s in d["funnel"]["stages"]][:3] == [4, 2, 2]
    assert d["countries"] == [{"country": "FR", "listeners": 5}, {"country": "other", "listeners": 2}]
    assert d["visible_listeners"] == [{"display_name": "Fan 2", "plays": 3, "owned": 0}]
    assert [(r["title"], r["plays"], r["owners"]) for r in d["tracks"]] == [("Morning Ferry", 13, 0), ("Gulls", 1, 1)]

    one = client.get(
        f"/api/v1/artists/{scene['artist'].id}/analytics?track={scene['tracks'][1].id}", headers=headers
    ).json["dashboard"]
    assert one["track"]["title"] == "Gulls" and one["totals"]["plays"] == 1 and one["totals"]["buy_nows"] == 1
    assert one["tracks"] == [] and one["funnel"]["owners"] == 1

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    empty = client.get(
        f"/api/v1/artists/{scene['artist'].id}/analytics?from={yesterday}&to={yesterday}", headers=headers
    ).json["dashboard"]
    assert empty["totals"]["plays"] == 0 and empty["totals"]["unique_listeners"] == 0 and len(empty["daily"]) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-11-20&to=2026-11-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "from"),
    ],
)
def test_bad_ranges_are_422(client, scene, query, field):
    r = client.get(
        f"/api/v1/artists/{scene['artist'].id}/analytics?{query}", headers=bearer(token_for(scene["manager"]))
    )
    assert r.status_code == 422 and r.json["error"]["field"] == field


def test_a_track_of_another_artist_is_404(client, scene):
    other = make_track()
    r = client.get(
        f"/api/v1/artists/{scene['artist'].id}/analytics?track={other.id}", headers=bearer(token_for(scene["manager"]))
    )
    assert r.status_code == 404


def test_csv_export_holds_the_json_figures(client, scene):
    headers = bearer(token_for(scene["manager"]))
    base = f"/api/v1/artists/{scene['artist'].id}/analytics"
    d = client.get(base, headers=headers).json["dashboard"]
    r = client.get(base + ".csv", headers=headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == ["section", "key", "metric", "value"]
    cells = {(s, k, m): v for s, k, m, v in rows[1:]}
    assert cells[("totals", "", "plays")] == str(d["totals"]["plays"])
    assert cells[("totals", "", "unique_listeners")] == "7"
    assert cells[("totals", "artist", "earnings_eur")] == d["totals"]["earnings"]["artist"]["eur"]
    assert cells[("funnel", "owners", "listeners")] == "1"
    assert cells[("countries", "FR", "listeners")] == "5"
    assert cells[("visible_listeners", "Fan 2", "plays")] == "3"
    assert cells[("daily", d["daily"][-1]["date"], "plays")] == "14"
    assert client.get(base + ".csv").status_code == 401


def test_the_dashboard_page(client, scene):
    client.post("/login", data={"email": scene["manager"].email, "password": "correct horse battery"})
    r = client.get(f"/artists/{scene['artist'].id}/dashboard")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<svg id="plays-chart"' in html and html.count("<rect ") == 30
    assert "Fan 2" in html and "Fan 3" not in html  # only the visible listener is named
    assert "Morning Ferry" in html and "0.749" in html
    r = client.get(f"/artists/{scene['artist'].id}/dashboard?track={scene['tracks'][1].id}")
    assert r.status_code == 200 and "Gulls" in r.get_data(as_text=True)
    assert client.get(f"/artists/{scene['artist'].id}/dashboard?from=nonsense").status_code == 422
    client.post("/logout")
    stranger = make_user()
    client.post("/login", data={"email": stranger.email, "password": "correct horse battery"})
    assert client.get(f"/artists/{scene['artist'].id}/dashboard").status_code == 403


def test_visibility_setting(client, app_ctx):
    user = make_user()
    headers = bearer(token_for(user))
    assert client.get("/api/v1/me", headers=headers).json["user"]["visible_to_artists"] is False
    r = client.patch("/api/v1/me", json={"visible_to_artists": True}, headers=headers)
    assert r.status_code == 200 and r.json["user"]["visible_to_artists"] is True
    r = client.patch("/api/v1/me", json={"visible_to_artists": "yes"}, headers=headers)
    assert r.status_code == 422
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    page = client.get("/account").get_data(as_text=True)
    assert 'name="visible_to_artists" checked' in page
    client.post("/account", data={"action": "profile", "display_name": "Quiet One", "country": "FR"})
    assert client.get("/api/v1/me", headers=headers).json["user"]["visible_to_artists"] is False


# --- the public books ---------------------------------------------------------------------------


def test_public_books_agree_with_the_ledger(client, app, app_ctx, clock, tmp_path):
    now = datetime.now(timezone.utc)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    clock.set(month_start - timedelta(days=12))  # across last month and this one
    random_history(7, clock, operations=150)
    rollups.update()
    db.session.commit()
    periods = [(month_start - timedelta(days=1)).strftime("%Y-%m"), now.strftime("%Y-%m")]
    for period in periods:
        year, month = map(int, period.split("-"))
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        expected = month_recount(start, end)
        books = client.get(f"/api/v1/transparency/{period}").json["books"]
        for name, _, parts in MONEY_FIGURES:
            want = sum(sign * expected["sums"].get((tk, ak), 0) for tk, ak, sign in parts)
            assert books["money"][name]["micro"] == want, (period, name)
        assert books["plays"] == expected["plays"] and books["active_listeners"] == expected["listeners"]
        assert books["money"]["credits_spent_on_plays"]["micro"] > 0

        page = client.get(f"/transparency/{period}").get_data(as_text=True)
        for name, _, _ in MONEY_FIGURES:
            assert f'data-figure="{name}"' in page
            assert f'<td class="num">{books["money"][name]["credits"]}</td>' in page
        assert "Listener " not in page  # no listener is ever named

        out = tmp_path / f"{period}.csv"
        result = app.test_cli_runner().invoke(args=["transparency", "export", "--period", period, "-o", str(out)])
        assert result.exit_code == 0, result.output
        rows = list(csv.reader(out.open()))
        money_rows = {r[1]: r[2] for r in rows if r[0] == "money"}
        assert money_rows == {name: books["money"][name]["credits"] for name, _, _ in MONEY_FIGURES}
        activity = {r[1]: r[2] for r in rows if r[0] == "activity"}
        assert activity == {
            "plays": str(books["plays"]),
            "active_listeners": str(books["active_listeners"]),
            "members": str(books["members"]),
        }
        web_csv = client.get(f"/transparency/{period}.csv").get_data(as_text=True)
        assert web_csv == out.read_text()
    # The price change of the history shows in the month it took effect, once in force (the
    # history's clock may run past today: a version not in force yet is not listed as enacted).
    [change] = db.session.scalars(
        select(PricingVersion).where(PricingVersion.growth_permille == 2000, PricingVersion.credit_price_cents == 150)
    ).all()
    listed = [
        c["version_id"]
        for p in periods
        for c in client.get(f"/api/v1/transparency/{p}").json["books"]["pricing_changes"]
    ]
    assert listed == ([change.id] if change.effective_from <= utcnow() else [])  # the books' clock: the one clock


def test_books_periods(client, app_ctx):
    assert client.get("/api/v1/transparency/2026-1").status_code == 422
    assert client.get("/api/v1/transparency/2025-12").status_code == 404
    assert client.get("/api/v1/transparency/2999-01").status_code == 404
    months = client.get("/api/v1/transparency").json["months"]
    assert months[-1]["period"] == "2026-01"
    r = client.get("/transparency")
    assert r.status_code == 302 and r.headers["Location"].endswith(months[0]["period"])
    assert client.get("/transparency/2026-01").status_code == 200


def test_cli_update_and_rebuild(app, app_ctx):
    listener, track = make_user(), make_track()
    wallet.charge_play(listener, track, "cli-play")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analytics", "update"])
    assert result.exit_code == 0 and "Read 1 plays" in result.output, result.output
    assert "Read 0 plays" in runner.invoke(args=["analytics", "update"]).output
    result = runner.invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0 and "Rebuilt up to play #" in result.output, result.output
    bad = runner.invoke(args=["transparency", "export", "--period", "2026-13"])
    assert bad.exit_code != 0 and "not a month" in bad.output


def test_previews_played_reach_the_dashboard_and_survive_a_rebuild(client, scene):
    track = scene["tracks"][0]
    db.session.add_all([PreviewPlay(track_id=track.id, listener_id=None) for _ in range(3)])
    db.session.add(PreviewPlay(track_id=track.id, listener_id=scene["listeners"][0].id))
    db.session.commit()
    rollups.update()
    db.session.commit()
    url = f"/api/v1/artists/{scene['artist'].id}/analytics"
    headers = bearer(token_for(scene["manager"]))
    totals = client.get(url, headers=headers).json["dashboard"]["totals"]
    assert totals["previews"] == 4
    assert totals["plays"] == 14 and totals["unique_listeners"] == 7  # previews are not counted plays
    rollups.rebuild()
    assert client.get(url, headers=headers).json["dashboard"]["totals"]["previews"] == 4


def test_payouts_paid_in_the_month_are_published_by_artist(client, app, app_ctx, tmp_path):
    artist = make_artist(name="The Copper Wires")
    now = datetime.now(timezone.utc)
    period = now.strftime("%Y-%m")
    common = dict(artist_id=artist.id, period="2000-01", credits=8_000_000, currency="EUR", credit_price_cents=125)
    db.session.add_all(
        [
            Payout(**common, method=PayoutMethod.BANK, status=PayoutStatus.PAID, amount_cents=1000, paid_at=now),
            Payout(
                **{**common, "period": "2000-02"},
                method=PayoutMethod.STRIPE,
                status=PayoutStatus.IN_TRANSIT,
                amount_cents=1000,
            ),
        ]
    )
    db.session.commit()
    books = client.get(f"/api/v1/transparency/{period}").json["books"]
    assert [(p["artist"], p["amount"], p["amount_cents"], p["method"]) for p in books["payouts"]] == [
        ("The Copper Wires", "10.00 EUR", 1000, "bank")
    ]  # the payout still in transit is not published yet
    page = client.get(f"/transparency/{period}").get_data(as_text=True)
    assert "The Copper Wires" in page and "10.00 EUR" in page
    csv_text = client.get(f"/transparency/{period}.csv").get_data(as_text=True)
    assert "payout,The Copper Wires,10.00 EUR" in csv_text
