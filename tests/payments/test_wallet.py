"""The wallet over JSON and HTML, the starter grant at registration, and `flask ledger verify`."""

from sqlalchemy import text

from app.accounts.models import Role
from app.core.extensions import db
from app.payments.services import wallet
from tests.factories import PASSWORD, bearer, make_artist, make_release, make_track, make_user, token_for


def charge(user, track, key):
    result = wallet.charge_play(user, track, key)
    db.session.commit()
    return result


def test_new_members_get_the_starter_grant(client, app_ctx):
    user = make_user()
    r = client.get("/api/v1/me/wallet", headers=bearer(token_for(user)))
    assert r.status_code == 200
    assert r.json["balance"] == {"micro": 200_000, "credits": "0.2"}


def test_wallet_needs_login(client):
    for path in (
        "/api/v1/me/wallet",
        "/api/v1/me/plays",
        "/api/v1/me/owned",
        "/api/v1/me/statement",
        "/api/v1/me/tracks/1/progress",
    ):
        assert client.get(path).status_code == 401


def test_progress_history_and_owned(client, app_ctx):
    user = make_user()
    headers = bearer(token_for(user))
    track = make_track(title="Night Bus")
    for n in range(3):
        charge(user, track, f"p{n}")
    r = client.get(f"/api/v1/me/tracks/{track.id}/progress", headers=headers)
    progress = r.json["progress"]
    assert progress["plays_counted"] == 3 and progress["plays_to_own"] == 9
    assert progress["credits_paid"] == {"micro": 14_000, "credits": "0.014"}
    assert progress["credits_to_own"]["credits"] == "1.008"
    assert progress["next_price"]["credits"] == "0.016"
    assert not progress["owned"] and progress["costs_nothing"] is None

    plays = client.get("/api/v1/me/plays?limit=2", headers=headers).json
    assert [p["play_number"] for p in plays["plays"]] == [3, 2]
    assert plays["plays"][0]["price"]["credits"] == "0.008"
    assert plays["plays"][0]["track"]["title"] == "Night Bus"
    older = client.get(f"/api/v1/me/plays?before={plays['next_before']}", headers=headers).json
    assert [p["play_number"] for p in older["plays"]] == [1]

    statement = client.get("/api/v1/me/statement", headers=headers).json["statement"]
    assert [line["kind"] for line in statement] == ["play_charge"] * 3 + ["starter_grant"]
    assert statement[-1]["amount"]["credits"] == "0.2"
    assert client.get("/api/v1/me/owned", headers=headers).json["owned"] == []
    assert client.get("/api/v1/me/tracks/999999/progress", headers=headers).status_code == 404


def test_buy_now_needs_credits_then_owns_the_track(client, app_ctx):
    user = make_user()
    admin = make_user(role=Role.ADMIN)
    headers = bearer(token_for(user))
    track = make_track()
    r = client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": "b1"}, headers=headers)
    assert r.status_code == 402
    assert r.json["error"] == {
        "code": "insufficient_credits",
        "message": "Not enough credits: this costs 1.022 and your balance is 0.2.",
        "balance": 200_000,
        "price": 1_022_000,
    }

    r = client.post(
        f"/api/v1/admin/users/{user.id}/top-ups",
        json={"credits": "1", "idempotency_key": "t1"},
        headers=bearer(token_for(admin)),
    )
    assert r.status_code == 201 and r.json["top_up"]["amount"]["credits"] == "1"
    r = client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": "b1"}, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["purchase"]["price"]["credits"] == "1.022"
    assert r.json["purchase"]["artist_part"]["credits"] == "0.7154"
    assert r.json["balance"]["credits"] == "0.178"
    again = client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": "b1"}, headers=headers)
    assert again.status_code == 200 and again.json["purchase"]["replayed"]
    other = client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": "b2"}, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "already_owned"
    owned = client.get("/api/v1/me/owned", headers=headers).json["owned"]
    assert [(o["track"]["id"], o["via"]) for o in owned] == [(track.id, "buy_now")]
    assert charge(user, track, "after-buying").price == 0


def test_free_and_own_tracks_cannot_be_bought_and_cost_nothing(client, app_ctx):
    artist_user = make_user()
    artist = make_artist(manager=artist_user)
    own = make_track(release=make_release(artist=artist))
    free = make_track(free=True)
    headers = bearer(token_for(artist_user))
    for track in (own, free):
        r = client.post(f"/api/v1/me/tracks/{track.id}/buy", json={"idempotency_key": f"b{track.id}"}, headers=headers)
        assert r.status_code == 409 and r.json["error"]["code"] == "not_purchasable"
        assert charge(artist_user, track, f"p{track.id}").price == 0
    progress = client.get(f"/api/v1/me/tracks/{own.id}/progress", headers=headers).json["progress"]
    assert progress["costs_nothing"] == "own_artist" and progress["credits_to_own"]["micro"] == 0


def test_admin_top_up_is_admins_only_and_checks_the_amount(client, app_ctx):
    user = make_user()
    admin_headers = bearer(token_for(make_user(role=Role.ADMIN)))
    r = client.post(
        f"/api/v1/admin/users/{user.id}/top-ups",
        json={"credits": "1", "idempotency_key": "x"},
        headers=bearer(token_for(user)),
    )
    assert r.status_code == 403
    for bad in ("1.2.3", "-1", "0", "0.0000001", "9" * 30, "10000000000"):
        r = client.post(
            f"/api/v1/admin/users/{user.id}/top-ups",
            json={"credits": bad, "idempotency_key": "x"},
            headers=admin_headers,
        )
        assert r.status_code == 422 and r.json["error"]["field"] == "credits", bad
    r = client.post(
        "/api/v1/admin/users/999999/top-ups", json={"credits": "1", "idempotency_key": "x"}, headers=admin_headers
    )
    assert r.status_code == 404
    client.post(
        f"/api/v1/admin/users/{user.id}/top-ups", json={"credits": "1", "idempotency_key": "y"}, headers=admin_headers
    )
    r = client.post(
        f"/api/v1/admin/users/{user.id}/top-ups", json={"credits": "2", "idempotency_key": "y"}, headers=admin_headers
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "idempotency_conflict"


def test_wallet_page_shows_balance_owned_and_what_plays_cost(client, app_ctx):
    user = make_user(email="w@example.test")
    track = make_track(title="Harbour Song")
    charge(user, track, "p1")
    charge(user, make_track(free=True, title="Gift"), "p2")
    assert client.get("/wallet").status_code == 302  # login first
    client.post("/login", data={"email": "w@example.test", "password": PASSWORD})
    page = client.get("/wallet")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/wallet"' in html  # the header links to it
    assert '<strong id="balance">0.198</strong>' in html
    assert "Harbour Song" in html and "0.002" in html and "Gift" in html and "free" in html


def test_ledger_verify_command(app, app_ctx):
    user = make_user()
    charge(user, make_track(), "p1")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and "ledger OK" in ok.output
    db.session.execute(text("UPDATE ledger_accounts SET balance = balance + 7 WHERE kind = 'wallet'"))
    db.session.commit()
    broken = runner.invoke(args=["ledger", "verify"])
    assert broken.exit_code == 1
    assert "BREACH: wallet balance" in broken.output and "ledger BROKEN" in broken.output
