"""No input causes a 5xx: each case a probe found, then every registered route walked with NUL,
lone-surrogate and deeply nested inputs, anonymous and logged in (issue 14)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from app.core.converters import MAX_ID
from tests.factories import PASSWORD, bearer, make_artist, make_release, make_track, make_user, token_for
from tests.stripe_fake import WEBHOOK_SECRET, sign

NUL = "\x00"
SURROGATE = "\ud800"
# json.dumps writes the surrogate as the escape "\ud800": valid JSON text, an invalid string.
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def login(client, user):
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302


def assert_refused_api(r, status=422, code="invalid_text"):
    assert r.status_code == status, r.data[:300]
    assert r.is_json and r.json["error"]["code"] == code and r.json["error"]["message"]


def assert_refused_page(r, status=422):
    assert r.status_code == status, r.data[:300]
    assert r.content_type.startswith("text/html")
    assert b"NUL character" in r.data or b"nested" in r.data


# --- the quoted cases -----------------------------------------------------------------------


def test_deeply_nested_json_is_refused(client):
    r = client.post("/api/v1/auth/register", data=DEEP_JSON, content_type="application/json")
    assert_refused_api(r, 422, "json_too_deep")
    r = client.post("/api/v1/auth/tokens", data='{"a":' * 40 + "1" + "}" * 40, content_type="application/json")
    assert_refused_api(r, 422, "json_too_deep")


def test_a_json_body_over_the_limit_is_413(client):
    body = json.dumps({"email": "a@b.c", "password": "x" * (300 * 1024)})
    r = client.post("/api/v1/auth/register", data=body, content_type="application/json")
    assert_refused_api(r, 413, "json_too_large")


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
def test_bad_text_in_a_json_string_or_key_is_422(client, bad):
    r = client.post(
        "/api/v1/auth/register",
        data=json.dumps({"email": f"a{bad}@b.c", "password": "x" * 12, "display_name": "A"}),
        content_type="application/json",
    )
    assert_refused_api(r)
    assert r.json["error"]["field"]
    r = client.post("/api/v1/auth/register", data=json.dumps({f"k{bad}": 1}), content_type="application/json")
    assert_refused_api(r)


def test_search_q_nul_is_422(client):
    assert_refused_api(client.get("/api/v1/search?q=%00"))
    assert_refused_page(client.get("/search?q=%00"))
    assert_refused_page(client.get("/search?q%00=x"))


def test_login_email_with_nul_is_422(client, app_ctx):
    assert_refused_page(client.post("/login", data={"email": f"a{NUL}@b.c", "password": "x"}))
    r = client.post("/api/v1/auth/tokens", json={"email": f"a{NUL}@b.c", "password": "x", "name": "t"})
    assert_refused_api(r)


def test_register_with_nul_is_422(client, app_ctx):
    form = {"email": "new@encore.test", "password": PASSWORD, "display_name": f"N{NUL}"}
    assert_refused_page(client.post("/register", data=form))
    r = client.post("/api/v1/auth/register", json=form)
    assert_refused_api(r)


def test_token_name_with_nul_is_422(client, app_ctx):
    user = make_user()
    r = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD, "name": f"t{NUL}"})
    assert_refused_api(r)
    login(client, user)
    assert_refused_page(client.post("/account", data={"action": "create_token", "name": f"t{NUL}"}))


def test_nul_in_a_path_segment_is_422(client, app_ctx):
    assert_refused_page(client.get("/transparency/2026-11%00"))
    assert_refused_api(client.get("/api/v1/transparency/2026%0011"))


@pytest.mark.parametrize("period", ["0000-01", "0001-01", "9999-12", "10000-01", "2026-13", "2026-00", "x" * 500])
def test_transparency_periods_are_bounded(client, period):
    for path in (
        f"/transparency/{period}",
        f"/transparency/{period}.csv",
        f"/api/v1/transparency/{period}",
        f"/transparency?period={period}",
    ):
        r = client.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)


@pytest.mark.parametrize(
    "query",
    [
        "from=0000-01-01",
        "to=0001-01-01",
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01&to=9999-12-31",
        "from=2026-02-30",
        "to=-1",
    ],
)
def test_analytics_date_ranges_are_bounded(client, app_ctx, query):
    manager = make_user()
    artist = make_artist(manager=manager)
    headers = bearer(token_for(manager))
    for path in (
        f"/api/v1/artists/{artist.id}/analytics?{query}",
        f"/api/v1/artists/{artist.id}/analytics.csv?{query}",
    ):
        r = client.get(path, headers=headers)
        assert r.status_code in (200, 404, 422), (path, r.status_code)


@pytest.mark.parametrize("period", ["0000-01", "1999-12", "9999-12", "2026-13", "a\r\nb", "x" * 300])
def test_payout_periods_are_bounded(client, app_ctx, period):
    from urllib.parse import quote

    from app.accounts.models import Role
    from tests.factories import enable_two_factor
    from tests.factories import login as login_with_code

    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)  # the payout pages need a second factor
    login_with_code(client, admin)

    for path in (f"/admin/payouts/bank.csv?period={quote(period)}",):
        assert client.get(path).status_code in (200, 404, 422), path
    r = client.post("/admin/payouts/runs", data={"period": period})
    assert r.status_code < 500


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie:x=1", "/ok\r\n", "/%0d%0aLocation:%20//evil", "/\n/evil.example"])
def test_next_with_cr_lf_after_login(client, app_ctx, target):
    from urllib.parse import quote

    user = make_user()
    r = client.post("/login?next=" + quote(target, safe="%/"), data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location
    assert "Set-Cookie" not in location


@pytest.fixture
def webhooks_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)


def _post_event(client, evt, timestamp=None):
    payload = json.dumps(evt)
    return client.post(
        "/webhooks/stripe",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET, timestamp)},
    )


def test_signed_webhook_with_an_event_id_over_255_characters_is_400(client, app_ctx, webhooks_on):
    r = _post_event(client, {"id": "evt_" + "x" * 300, "type": "checkout.session.completed", "data": {"object": {}}})
    assert_refused_api(r, 400, "bad_event")
    r = _post_event(client, {"id": "evt_1", "type": "t" * 300, "data": {"object": {}}})
    assert_refused_api(r, 400, "bad_event")
    r = _post_event(client, {"id": "evt_ok_" + "x" * 248, "type": "ping", "data": {"object": {}}})
    assert r.status_code == 200 and r.json["outcome"] == "ignored"


def test_webhook_signed_in_the_future_beyond_the_tolerance_is_refused(client, app_ctx, webhooks_on):
    import time

    evt = {"id": "evt_future", "type": "ping", "data": {"object": {}}}
    r = _post_event(client, evt, timestamp=int(time.time()) + 3600)
    assert_refused_api(r, 400, "bad_signature")
    assert "future" in r.json["error"]["message"]
    r = _post_event(client, evt, timestamp=int(time.time()) + 30)  # clock skew within the tolerance
    assert r.status_code == 200


# --- every route ----------------------------------------------------------------------------


def _routes(app):
    """(method, path) for every rule, its converters filled with a plausible value."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {}
        for name, converter in rule._converters.items():
            values[name] = 1 if type(converter).__name__ in ("IdConverter", "IntegerConverter") else "x"
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m, values=values: str(values[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


# NUL and the surrogate stop in the validation layer; the others reach the views' own parsers.
_HOSTILE_TEXT = [NUL, SURROGATE, "0000-01", str(MAX_ID + 1), "-1", "١٢", "9" * 40]


def _hostile_requests(method, path):
    """Requests made to break a handler: bad text in the query, the form, the JSON body and a
    path segment, deeply nested and non-object JSON, a JSON body with every type in every field."""
    segments = path.rstrip("/").split("/")
    for text in _HOSTILE_TEXT:
        query = dict.fromkeys(("q", "period", "from", "to", "next", "limit", "before", "track", "status"), text)
        # Encoded by hand: a lone surrogate percent-encodes (surrogatepass) as bytes that are not UTF-8.
        yield dict(query_string=urlencode(query, encoding="utf-8", errors="surrogatepass"))
        if method != "GET":
            fields = dict.fromkeys(
                (
                    "email",
                    "password",
                    "display_name",
                    "name",
                    "title",
                    "credits",
                    "period",
                    "pack",
                    "choice",
                    "reference",
                    "iban",
                    "account_holder",
                    "country",
                    "artist_name",
                    "kind",
                    "rationale",
                    "voting_days",
                    "first_play_price",
                    "idempotency_key",
                    "release_date",
                    "bio",
                    "action",
                ),
                text,
            )
            yield dict(
                data=urlencode(fields, encoding="utf-8", errors="surrogatepass"),
                content_type="application/x-www-form-urlencoded",
            )
            yield dict(data=json.dumps(fields), content_type="application/json")
    if len(segments) > 2 and segments[-1] not in ("", "x"):
        for bad in ("%00", "%ED%A0%80", "0000-01", "x" * 300):
            yield dict(path="/".join(segments[:-1] + [bad]))
    if method != "GET":
        for raw in (DEEP_JSON, "[1]", '"x"', "null", "{", '{"a": 1e999999}', '{"credits": [1, {"x": null}]}'):
            yield dict(data=raw, content_type="application/json")


def _walk(app, client, headers=None, prefix="/"):
    failures = []
    for method, path in _routes(app):
        if path.startswith("/webhooks/") or not path.startswith(prefix):
            continue  # signed by Stripe: everything unsigned is a 400 before parsing (tested above)
        for request in _hostile_requests(method, path):
            target = request.pop("path", path)
            r = client.open(target, method=method, headers=headers, **request)
            if r.status_code >= 500:
                failures.append((method, target, request, r.status_code, r.data[:200]))
    return failures


def test_no_route_answers_5xx_to_an_anonymous_user(app, client):
    assert _walk(app, client) == []


def test_no_route_answers_5xx_to_a_logged_in_user(app, client, app_ctx):
    manager = make_user()
    artist = make_artist(manager=manager)
    make_track(release=make_release(artist=artist))
    login(client, manager)
    assert _walk(app, client) == []


def test_no_api_route_answers_5xx_to_a_token_holder(app, client, app_ctx):
    # A Bearer token is the API's other credential (no CSRF check, other code paths).
    manager = make_user()
    make_track(release=make_release(artist=make_artist(manager=manager)))
    assert _walk(app, client, headers=bearer(token_for(manager)), prefix="/api/") == []


def test_no_route_answers_5xx_to_an_admin(app, client, app_ctx):
    from app.accounts.models import Role

    login(client, make_user(role=Role.ADMIN))
    assert _walk(app, client) == []
