import re

from openapi_spec_validator import validate


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
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
    assert spec["paths"]["/api/v1/artists/{artist_id}"]["get"]["parameters"][0]["schema"] == {"type": "integer"}
