"""Security headers on every response, and templates the strict CSP can serve."""

import re
from pathlib import Path

import pytest

from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/"),
        ("get", "/login"),
        ("get", "/api/v1/search?q=x"),
        ("get", "/api/v1/nothing"),
        ("get", "/no-such-page"),
        ("get", "/static/style.css"),
        ("get", "/transparency"),
        ("post", "/api/v1/tracks/1/plays"),
        ("get", "/health/live"),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path):
    r = getattr(client, method)(path)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in r.headers["Permissions-Policy"]
    csp = _directives(r)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in r.headers["Content-Security-Policy"]


def test_hsts_only_when_served_securely(client, database_url, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/").headers
    r = client.get("/", base_url="https://encore.example")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    secure = make_test_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    assert "max-age=31536000" in secure.test_client().get("/").headers["Strict-Transport-Security"]


def test_the_s3_store_origin_may_serve_media(database_url, tmp_path):
    # Presigned redirects send the browser to the store: audio, covers and peaks come from there.
    app = make_test_app(
        database_url,
        tmp_path,
        STORAGE_URL="s3://tunes/media",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
        S3_ACCESS_KEY_ID="k",
        S3_SECRET_ACCESS_KEY="s",
        S3_ADDRESSING_STYLE="path",
        CSP_MEDIA_ORIGINS=["https://cdn.example"],
    )
    csp = _directives(app.test_client().get("/"))
    for directive in ("media-src", "img-src", "connect-src"):
        assert "http://127.0.0.1:9" in csp[directive] and "https://cdn.example" in csp[directive]
    assert csp["script-src"] == ["'self'"]


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_nothing_the_policy_blocks(template):
    """No inline script, no inline event handler, no style attribute, no javascript: URL."""
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag, f"inline <script> in {template.name}: move it to app/static/"
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), f"script text in {template.name}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template.name}"
    assert not re.search(r"\sstyle\s*=", text), f"style attribute in {template.name}"
    assert "<style" not in text and "javascript:" not in text


def test_rendered_pages_hold_no_inline_script(client, app_ctx):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for path in ("/", "/governance", "/transparency/" + _this_month(), "/account", "/wallet"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert not re.search(rb"<script\b(?![^>]*\bsrc=)[^>]*>", r.data), path


def _this_month():
    from app.analytics.services import transparency

    return transparency.current_period().label


def test_the_month_picker_works_without_script(client, app_ctx):
    month = _this_month()
    r = client.get(f"/transparency?period={month}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/transparency/{month}")
