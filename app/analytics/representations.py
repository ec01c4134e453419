"""How the dashboard and the public books look in JSON (and, from that JSON, in CSV).

Money is shown from integers: micro-credits, decimal credit text, and EUR text rounded down
to the cent (see ``app.analytics.services.dashboard.eur``).
"""

from __future__ import annotations

from flask import url_for

from app.analytics.services.dashboard import Dashboard, eur
from app.analytics.services.transparency import MONEY_FIGURES, MonthBooks
from app.catalog.representations import artist_ref
from app.core.representations import money
from ledger.units import format_credits


def money_eur(micro: int, micro_cents: int) -> dict:
    """Credits both ways, and their EUR value (micro-cents rounded down to the cent)."""
    return money(micro) | {"eur": eur(micro_cents)}


def dashboard_json(d: Dashboard) -> dict:
    t = d.totals
    return {
        "artist": artist_ref(d.artist),
        "track": {"id": d.track.id, "title": d.track.title} if d.track is not None else None,
        "range": {"from": d.range.start.isoformat(), "to": d.range.end.isoformat(), "days": len(d.daily)},
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "totals": {
            "plays": t.plays,
            "charged_plays": t.charged_plays,
            "first_plays": t.first_plays,
            "unique_listeners": t.unique_listeners,
            "earnings": {
                "artist": money_eur(t.artist_micro, t.artist_value),
                "coop": money_eur(t.coop_micro, t.coop_value),
            },
            "buy_nows": t.buy_nows,
            "buy_now_spent": money(t.buy_now_micro),
            "previews": t.previews,
        },
        "daily": [
            {
                "date": r.day.isoformat(),
                "plays": r.plays,
                "charged_plays": r.charged_plays,
                "listeners": r.listeners,
                "artist_earnings": money(r.artist_micro),
                "buy_nows": r.buy_nows,
                "previews": r.previews,
            }
            for r in d.daily
        ],
        "funnel": {"stages": [{"play": n, "listeners": c} for n, c in d.funnel], "owners": d.owners},
        "countries": [{"country": c, "listeners": n} for c, n in d.countries],
        "visible_listeners": d.visible_listeners,
        "tracks": [
            {
                "id": r.track_id,
                "title": r.title,
                "plays": r.plays,
                "charged_plays": r.charged_plays,
                "artist_earnings": money_eur(r.artist_micro, r.artist_value),
                "buy_nows": r.buy_nows,
                "previews": r.previews,
                "owners": r.owners,
            }
            for r in d.tracks
        ],
    }


def dashboard_csv_rows(view: dict) -> list[list]:
    """The dashboard JSON flattened to rows: section, key, metric, value."""
    rows = [["section", "key", "metric", "value"]]
    rows.append(["range", view["range"]["from"], "to", view["range"]["to"]])
    for name, value in view["totals"].items():
        if name == "earnings":
            for who, m in value.items():
                rows += [["totals", who, "earnings_credits", m["credits"]], ["totals", who, "earnings_eur", m["eur"]]]
        elif isinstance(value, dict):
            rows.append(["totals", "", f"{name}_credits", value["credits"]])
        else:
            rows.append(["totals", "", name, value])
    for day in view["daily"]:
        for metric in ("plays", "charged_plays", "listeners", "buy_nows", "previews"):
            rows.append(["daily", day["date"], metric, day[metric]])
        rows.append(["daily", day["date"], "artist_earnings_credits", day["artist_earnings"]["credits"]])
    for stage in view["funnel"]["stages"]:
        rows.append(["funnel", f"play {stage['play']}", "listeners", stage["listeners"]])
    rows.append(["funnel", "owners", "listeners", view["funnel"]["owners"]])
    for country in view["countries"]:
        rows.append(["countries", country["country"], "listeners", country["listeners"]])
    for listener in view["visible_listeners"]:
        rows += [
            ["visible_listeners", listener["display_name"], "plays", listener["plays"]],
            ["visible_listeners", listener["display_name"], "owned", listener["owned"]],
        ]
    for track in view["tracks"]:
        key = f"{track['id']} {track['title']}"
        for metric in ("plays", "charged_plays", "buy_nows", "previews", "owners"):
            rows.append(["tracks", key, metric, track[metric]])
        rows += [
            ["tracks", key, "artist_earnings_credits", track["artist_earnings"]["credits"]],
            ["tracks", key, "artist_earnings_eur", track["artist_earnings"]["eur"]],
        ]
    return rows


def _percent(bp: int) -> str:
    """Basis points as percent text, from integers: 7000 -> "70", 7050 -> "70.50"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}" if rest else str(whole)


def books_json(b: MonthBooks) -> dict:
    meanings = {name: meaning for name, meaning, _ in MONEY_FIGURES}
    return {
        "period": b.period.label,
        "complete": b.complete,
        "as_of": b.as_of.isoformat() if b.as_of else None,
        "money": {name: money(amount) | {"meaning": meanings[name]} for name, amount in b.money.items()},
        "plays": b.plays,
        "active_listeners": b.active_listeners,
        "members": b.members,
        "pricing_in_force": {
            "id": b.pricing.id,
            "effective_from": b.pricing.effective_from.isoformat(),
            "first_play_price": format_credits(b.pricing.first_play_price),
            "growth_permille": b.pricing.growth_permille,
            "plays_to_own": b.pricing.plays_to_own,
            "artist_share_percent": _percent(b.pricing.artist_share_bp),
            "credit_price_eur": f"{b.pricing.credit_price_cents // 100}.{b.pricing.credit_price_cents % 100:02d}",
        },
        "pricing_changes": [
            {
                "version_id": c["version"].id,
                "effective_from": c["version"].effective_from.isoformat(),
                "proposal_id": c["proposal"].id if c["proposal"] else None,
                "proposal_title": c["proposal"].title if c["proposal"] else None,
                "proposal_url": url_for("api.get_proposal", proposal_id=c["proposal"].id) if c["proposal"] else None,
            }
            for c in b.pricing_changes
        ],
        "pricing_decided": [
            {
                "version_id": c["version"].id,
                "decided_at": c["proposal"].closed_at.isoformat(),
                "effective_from": c["version"].effective_from.isoformat(),
                "in_force": c["in_force"],
                "proposal_id": c["proposal"].id,
                "proposal_title": c["proposal"].title,
                "proposal_url": url_for("api.get_proposal", proposal_id=c["proposal"].id),
            }
            for c in b.pricing_decided
        ],
        "payouts": b.payouts,
    }
