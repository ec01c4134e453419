import pytest

from app import create_app
from app.core.config import ConfigurationError


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("ENCORE_SECRET_KEY", raising=False)
    overrides = {"DATABASE_URL": "postgresql://encore@db.invalid/encore"}
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
    monkeypatch.setenv("ENCORE_DATABASE_URL", "postgresql://encore@db.invalid:5433/env")
    monkeypatch.setenv("ENCORE_MAX_REQUEST_MB", "3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://encore@db.invalid:5433/env"
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


@pytest.mark.parametrize("url", ["sqlite:///encore.db", "sqlite://", "mysql://encore@db/encore", "encore.db"])
def test_only_postgresql_is_accepted(url):
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})


@pytest.mark.parametrize("url", ["postgres://u@h/d", "postgresql://u@h/d", "postgresql+psycopg://u@h/d"])
def test_postgresql_urls_use_psycopg_3(url):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/d"


def test_malformed_two_factor_keys_stop_the_start(tmp_path, monkeypatch):
    import pytest
    from cryptography.fernet import Fernet

    from app.core.config import ConfigurationError

    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    base = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "k"}
    for bad in (["not-a-key"], [], "short", [42]):
        with pytest.raises(ConfigurationError):
            create_app(base | {"TWO_FACTOR_KEYS": bad})
    key = Fernet.generate_key().decode()
    assert create_app(base | {"TWO_FACTOR_KEYS": [key]}).config["TWO_FACTOR_KEYS"] == [key]
