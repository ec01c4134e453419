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
