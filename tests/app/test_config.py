from app import create_app


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("ENCORE_SECRET_KEY", raising=False)
    overrides = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    first = create_app(overrides)
    second = create_app(overrides)
    key_file = tmp_path / "instance" / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["STORAGE_URL"] == f"file://{tmp_path}/instance/media"


def test_environment_variables_override_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.setenv("ENCORE_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("ENCORE_MAX_REQUEST_MB", "3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024


def test_csrf_tokens_last_as_long_as_the_session(app):
    # The player page sends API writes with the token it loaded with, hours later.
    from itsdangerous import URLSafeTimedSerializer

    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    with app.test_request_context():
        from flask import session
        from flask_wtf.csrf import generate_csrf, validate_csrf

        token = generate_csrf()
        # Re-sign the same token as if it had been issued a day ago; it must still validate.
        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        raw = serializer.loads(token)
        serializer.get_timestamp = lambda: 0  # itsdangerous' hook for the signing time
        old_token = serializer.dumps(raw)
        validate_csrf(old_token)
        assert session["csrf_token"] == raw


def test_production_refuses_the_development_mail_page(tmp_path):
    import pytest

    from app.config import ConfigurationError
    from tests.conftest import make_test_app

    with pytest.raises(ConfigurationError, match="DEV_MAIL_PAGE"):
        make_test_app("postgresql://unused/unused", tmp_path, ENV_NAME="production", DEV_MAIL_PAGE=True,
                      STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")


def test_the_development_mail_page_is_off_unless_turned_on(client, app, monkeypatch):
    assert client.get("/dev/mail").status_code == 404
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGE", True)
    assert client.get("/dev/mail").status_code == 200
