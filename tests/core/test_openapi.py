import re

from openapi_spec_validator import validate


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        # The JSON API only: pages, health and the Subsonic API under /rest/ (its own protocol,
        # described in docs/SUBSONIC.md) are not in the OpenAPI document.
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_openapi_is_valid_and_matches_routes(client, app):
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _api_routes(app)
    assert ("/api/v1/auth/register", "post") in documented


def test_request_bodies_are_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    schema = register["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"email", "password", "display_name"}
    assert schema["properties"]["country"]["type"] == "string"
    assert spec["paths"]["/api/v1/artists/{artist_id}"]["get"]["parameters"][0]["schema"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 2**31 - 1,
    }


def test_every_status_an_operation_answers_is_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    def statuses(path, method):
        return set(paths[path][method]["responses"])

    assert "default" not in statuses("/api/v1/auth/register", "post")
    assert {"202", "400", "409", "413", "415", "422", "429", "503"} <= statuses("/api/v1/auth/register", "post")
    assert {"204", "401", "403", "404"} <= statuses("/api/v1/me/tokens/{token_id}", "delete")
    assert {"201", "401", "402", "404", "409"} <= statuses("/api/v1/tracks/{track_id}/plays", "post")
    assert {"202", "413", "415"} <= statuses("/api/v1/releases/{release_id}/tracks", "post")
    assert {"200", "206", "302", "416"} <= statuses("/api/v1/plays/{play_id}/stream.{fmt}", "get")
    for path, ops in paths.items():
        for method, op in ops.items():
            assert any(s.startswith("2") for s in op["responses"]), (path, method)
            assert {"422", "429", "503"} <= set(op["responses"]), (path, method)


def test_errors_share_one_documented_shape(client):
    spec = client.get("/api/v1/openapi.json").json
    error = spec["paths"]["/api/v1/artists/{artist_id}"]["get"]["responses"]["404"]
    assert error == {"$ref": "#/components/responses/404"}
    body = spec["components"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message"]


def test_query_parameters_are_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    def query(path):
        return {p["name"]: p["schema"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}

    assert set(query("/api/v1/search")) == {"q", "limit"}
    assert query("/api/v1/search")["limit"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert set(query("/api/v1/me/plays")) == {"limit", "before"}
    assert set(query("/api/v1/me/statement")) == {"limit", "before"}
    assert set(query("/api/v1/artists")) == {"limit", "offset"}
    assert set(query("/api/v1/artists/{artist_id}/analytics")) == {"from", "to", "track"}
    assert query("/api/v1/artists/{artist_id}/analytics")["from"]["format"] == "date"


def test_a_view_cannot_read_an_undeclared_query_parameter(app):
    """``query_int``/``query_str`` refuse a parameter the view did not declare, so the document
    cannot miss one (the fuzzer calls every operation)."""
    import pytest

    from app.core.inputs import query_int

    with app.test_request_context("/api/v1/artists?page=2"):
        with pytest.raises(RuntimeError, match="page"):
            query_int("page", 1)
        assert query_int("limit", 50) == 50


def test_null_is_refused_for_fields_that_are_not_nullable(client, app_ctx):
    from tests.factories import bearer, make_user, token_for

    headers = bearer(token_for(make_user()))
    spec = client.get("/api/v1/openapi.json").json
    me = spec["paths"]["/api/v1/me"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    nullable = {name for name, s in me["properties"].items() if s.get("nullable")}
    for name in set(me["properties"]) - nullable:
        r = client.patch("/api/v1/me", json={name: None}, headers=headers)
        assert r.status_code == 422 and r.json["error"]["field"] == name, (name, r.json)


def test_an_id_beyond_the_converter_is_404_for_every_method(client):
    """Found by the fuzzer: PATCH /governance/proposals/254273845490 answered an undocumented
    405 (Werkzeug's answer when no rule matches the number) instead of 404."""
    for method in ("get", "patch", "post"):
        r = getattr(client, method)("/api/v1/governance/proposals/254273845490")
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", method
    assert client.delete("/api/v1/artists/1").status_code == 405  # a real 405 stays one


def test_a_multipart_field_with_an_unparsable_name_is_not_a_500(client):
    """Found by the fuzzer: a part named ``"¤\\"`` (Werkzeug reads the name as None) crashed the
    form check with an AttributeError (500)."""
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\u00a4\\"\r\n\r\n{{}}\r\n--{boundary}--\r\n'
    ).encode()
    r = client.put("/api/v1/releases/1/cover", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code < 500 and "error" in r.json
