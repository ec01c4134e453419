import pytest

from tests.factories import bearer, make_user, token_for


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json == {"error": {"code": "not_found", "message": "There is nothing at this address."}}


def test_wrong_method_is_json_405(client):
    r = client.delete("/api/v1/search")
    assert r.status_code == 405
    assert r.json["error"]["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_html_404_is_a_page(client):
    r = client.get("/artists/999999")
    assert r.status_code == 404
    assert b"There is no artist 999999." in r.data
    assert r.content_type.startswith("text/html")


def test_internal_error_is_json_500(database_url, tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, tmp_path)

    @app.get("/api/v1/_boom_for_test")
    def boom():
        raise RuntimeError("kaboom")

    r = app.test_client().get("/api/v1/_boom_for_test")
    assert r.status_code == 500
    assert r.json["error"]["code"] == "internal_error"
    assert "kaboom" not in r.json["error"]["message"]


# Ids are INTEGER columns (32 bits): a larger
# number in a URL or a query names nothing, so it is a 404 or a 422 with the one error shape,
# never a database error (500).
_HUGE_IDS = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("huge", _HUGE_IDS)
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/tracks/{}"),
        ("get", "/api/v1/artists/{}"),
        ("get", "/api/v1/releases/{}"),
        ("get", "/api/v1/me/tracks/{}/progress"),
        ("get", "/api/v1/tracks/{}/original"),
        ("get", "/api/v1/governance/proposals/{}"),
        ("post", "/api/v1/tracks/{}/plays"),
        ("post", "/api/v1/tracks/{}/previews"),
        ("delete", "/api/v1/me/tokens/{}"),
    ],
)
def test_ids_too_large_for_the_database_are_not_found(client, app_ctx, huge, method, path):
    headers = bearer(token_for(make_user()))
    r = getattr(client, method)(path.format(huge), headers=headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("huge", _HUGE_IDS)
def test_html_pages_with_ids_too_large_are_not_found(client, app_ctx, huge):
    assert client.get(f"/artists/{huge}").status_code == 404
    assert client.get(f"/releases/{huge}").status_code == 404


@pytest.mark.parametrize("huge", _HUGE_IDS)
@pytest.mark.parametrize(
    "query", ["/api/v1/me/plays?before={}", "/api/v1/me/statement?before={}", "/api/v1/artists?offset={}"]
)
def test_query_numbers_too_large_are_refused(client, app_ctx, huge, query):
    r = client.get(query.format(huge), headers=bearer(token_for(make_user())))
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
