import pytest
from sqlalchemy import func, select

from app.accounts.models import ApiToken, User
from app.catalog.models import Artist
from app.core.extensions import db
from tests.factories import PASSWORD, bearer, make_user, token_for


def register(client, **fields):
    body = {"email": "ada@example.test", "password": PASSWORD, "display_name": "Ada", "country": "gb"}
    body.update(fields)
    return client.post("/api/v1/auth/register", json=body)


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_register_listener(client, app_ctx):
    r = register(client)
    assert r.status_code == 202, r.json
    assert "Check your mail" in r.json["message"]
    user = db.session.scalar(select(User).where(User.email == "ada@example.test"))
    assert user.password_hash.startswith("$argon2id$")
    assert user.country == "GB" and user.role.value == "listener"
    assert user.email_verified_at is None


def test_register_artist_creates_managed_profile(client, app_ctx):
    r = register(client, artist_name="Ada and the Engines")
    assert r.status_code == 202, r.json
    user = db.session.scalar(select(User).where(User.email == "ada@example.test"))
    assert user.role.value == "artist"
    assert [a.name for a in user.artists] == ["Ada and the Engines"]


@pytest.mark.parametrize(
    "fields, status, code, field",
    [
        ({"email": None}, 422, "invalid", "email"),
        ({"email": "not-an-email"}, 422, "invalid", "email"),
        ({"password": "short"}, 422, "invalid", "password"),
        ({"password": "password123"}, 422, "weak_password", "password"),
        ({"password": 12345678}, 422, "invalid", "password"),
        ({"display_name": ""}, 422, "invalid", "display_name"),
        ({"country": "XX"}, 422, "invalid", "country"),
        ({"country": "FRA"}, 422, "invalid", "country"),
        ({"role": "admin"}, 422, "invalid", "role"),
    ],
)
def test_register_rejects_bad_input_and_writes_nothing(client, app_ctx, fields, status, code, field):
    r = register(client, **fields)
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code
    assert r.json["error"]["field"] == field
    assert r.json["error"]["message"]
    assert user_count() == 0


def test_register_missing_field(client, app_ctx):
    r = client.post("/api/v1/auth/register", json={"email": "a@b.test", "password": PASSWORD})
    assert r.status_code == 422
    assert r.json["error"]["message"] == "'display_name' is required."
    assert user_count() == 0


def test_a_taken_email_gets_the_same_answer_and_its_owner_a_mail(client, app_ctx):
    from app.core.models import OutboxMessage

    fresh = register(client, email="new@example.test")
    make_user(email="ada@example.test")
    before = user_count()
    r = register(client, email="ADA@example.test")
    assert (r.status_code, r.json["message"].replace("ada@", "new@")) == (fresh.status_code, fresh.json["message"])
    assert user_count() == before
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "ada@example.test")).one()
    assert "already has one" in mail.body and "/forgot-password" in mail.body


def test_artist_registration_failure_leaves_no_artist(client, app_ctx):
    r = register(client, artist_name="   ")
    assert r.status_code == 422
    assert db.session.scalar(select(func.count(Artist.id))) == 0
    assert user_count() == 0


def test_not_json_is_415(client):
    r = client.post("/api/v1/auth/register", data="email=a", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.json["error"]["code"] == "unsupported_media_type"


def test_malformed_json_and_non_object(client):
    r = client.post("/api/v1/auth/register", data="{nope", content_type="application/json")
    assert r.status_code == 422 and r.json["error"]["code"] == "bad_json"
    r = client.post("/api/v1/auth/register", json=[1, 2])
    assert r.status_code == 422 and r.json["error"]["code"] == "bad_json"


def test_oversized_body_is_413(client, app):
    blob = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = client.post("/api/v1/auth/register", data=blob, content_type="application/json")
    assert r.status_code == 413
    assert r.json["error"]["message"].startswith("The request body is too large")  # JSON's limit is lower


def test_token_flow(client, app_ctx):
    user = make_user(email="t@example.test")
    r = client.post("/api/v1/auth/tokens", json={"email": "t@example.test", "password": PASSWORD, "name": "cli"})
    assert r.status_code == 201, r.json
    token = r.json["token"]
    assert token.startswith("enc_")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token not in stored.token_hash  # only the digest is kept

    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and me.json["user"]["email"] == "t@example.test"

    r = client.delete(f"/api/v1/me/tokens/{r.json['id']}", headers=bearer(token))
    assert r.status_code == 204
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_token"


def test_wrong_password_gets_401_and_no_token(client, app_ctx):
    make_user(email="t@example.test")
    r = client.post("/api/v1/auth/tokens", json={"email": "t@example.test", "password": "wrong!!!", "name": "x"})
    assert r.status_code == 401 and r.json["error"]["code"] == "bad_credentials"
    r = client.post("/api/v1/auth/tokens", json={"email": "nobody@example.test", "password": "x", "name": "x"})
    assert r.status_code == 401
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_me_requires_auth(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json["error"]["code"] == "unauthorized"


def test_update_profile(client, app_ctx):
    user = make_user()
    token = token_for(user)
    r = client.patch("/api/v1/me", json={"country": "de", "display_name": "Ida"}, headers=bearer(token))
    assert r.status_code == 200 and r.json["user"]["country"] == "DE"
    r = client.patch("/api/v1/me", json={"country": 7}, headers=bearer(token))
    assert r.status_code == 422
    r = client.patch("/api/v1/me", json={"country": None}, headers=bearer(token))
    assert r.json["user"]["country"] is None and r.json["user"]["display_name"] == "Ida"


def test_revoking_someone_elses_token_is_404(client, app_ctx):
    alice, bob = make_user(), make_user()
    bob_token = token_for(bob)
    alice_token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == bob.id))
    other = token_for(alice)
    r = client.delete(f"/api/v1/me/tokens/{alice_token_id}", headers=bearer(other))
    assert r.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(bob_token)).status_code == 200
