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


# --- validation: the Setting table ---------------------------------------------------------

import logging  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from app.core.config import SETTINGS, ConfigurationError, markdown_table  # noqa: E402


def _start(tmp_path, monkeypatch, env=None, **overrides):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", **overrides})


def test_environment_strings_are_converted_to_each_settings_type(tmp_path, monkeypatch):
    app = _start(
        tmp_path,
        monkeypatch,
        {
            "ENCORE_QUEUE_WORKERS": "4",
            "ENCORE_SESSION_COOKIE_SECURE": "true",
            "ENCORE_QUEUE_IMMEDIATE": "off",
            "ENCORE_SECRET_KEY": "12345",  # a string setting keeps the string, not JSON's 12345
            "ENCORE_CREDIT_PACKS": "5, 15",
            "ENCORE_MAX_UPLOAD_MB": "0.5",
            "ENCORE_SMTP_STARTTLS": "",  # empty: unset
            "ENCORE_CURRENCY": "chf",
        },
    )
    cfg = app.config
    assert cfg["QUEUE_WORKERS"] == 4 and cfg["SESSION_COOKIE_SECURE"] is True and cfg["QUEUE_IMMEDIATE"] is False
    assert cfg["SECRET_KEY"] == "12345"
    assert cfg["CREDIT_PACKS"] == [5, 15]
    assert cfg["MAX_UPLOAD_MB"] == 0.5
    assert cfg["SMTP_STARTTLS"] is None
    assert cfg["CURRENCY"] == "CHF"
    assert _start(tmp_path, monkeypatch, {"ENCORE_CREDIT_PACKS": "[1, 2]"}).config["CREDIT_PACKS"] == [1, 2]


def test_every_setting_has_its_default_and_its_type(tmp_path, monkeypatch):
    app = _start(tmp_path, monkeypatch)
    for setting in SETTINGS:
        assert setting.name in app.config
        if setting.default is not None:
            assert app.config[setting.name] == setting.default
    assert app.config["MAX_UPLOAD_MB"] == 500 and isinstance(app.config["MAX_UPLOAD_MB"], int)


def test_a_wrong_type_is_refused_naming_the_key_and_what_it_must_be(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError) as raised:
        _start(tmp_path, monkeypatch, {"ENCORE_QUEUE_WORKERS": "many"})
    assert raised.value.problems == ["ENCORE_QUEUE_WORKERS must be an integer, not 'many'"]
    with pytest.raises(ConfigurationError, match="ENCORE_SESSION_COOKIE_SECURE must be true or false"):
        _start(tmp_path, monkeypatch, SESSION_COOKIE_SECURE="maybe")


def test_an_out_of_range_value_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match="ENCORE_GOVERNANCE_QUORUM_PERCENT must be at most 100, not 150"):
        _start(tmp_path, monkeypatch, {"ENCORE_GOVERNANCE_QUORUM_PERCENT": "150"})
    with pytest.raises(ConfigurationError, match="ENCORE_S3_ADDRESSING_STYLE must be one of auto, path, virtual"):
        _start(tmp_path, monkeypatch, S3_ADDRESSING_STYLE="virtual-host")
    with pytest.raises(
        ConfigurationError, match="ENCORE_STORAGE_URL must use one of the schemes file, s3; not 'ftp://h/m'"
    ):
        _start(tmp_path, monkeypatch, STORAGE_URL="ftp://h/m")
    with pytest.raises(ConfigurationError, match="ENCORE_CREDIT_PACKS must be at least 1"):
        _start(tmp_path, monkeypatch, CREDIT_PACKS=[5, 0])
    with pytest.raises(ConfigurationError, match="ENCORE_STREAM_START_LIMIT must be a rate limit"):
        _start(tmp_path, monkeypatch, STREAM_START_LIMIT="thirty a minute")


def test_all_problems_are_listed_at_once(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError) as raised:
        _start(
            tmp_path,
            monkeypatch,
            {"ENCORE_SMTP_PORT": "0", "ENCORE_CURRENCY": "euro"},
            ENV_NAME="production",
            MEMBER_SHARE_CENTS="ten",
        )
    problems = raised.value.problems
    assert len(problems) == 6
    assert [p.split()[0] for p in problems] == [
        "ENCORE_SMTP_PORT",
        "ENCORE_CURRENCY",
        "ENCORE_MEMBER_SHARE_CENTS",  # the settings, in table order
        "ENCORE_SECRET_KEY",
        "ENCORE_SESSION_COOKIE_SECURE",
        "ENCORE_STRIPE_SECRET_KEY",
    ]  # then production's
    assert "6 problems" in str(raised.value) and all(p in str(raised.value) for p in problems)


def test_a_secret_is_never_echoed_in_an_error(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError) as raised:
        _start(tmp_path, monkeypatch, STRIPE_SECRET_KEY=["sk_live_do_not_print"], REDIS_URL="http://u:do_not_print@h/0")
    message = str(raised.value)
    assert "do_not_print" not in message and "ENCORE_STRIPE_SECRET_KEY must be a string, not (hidden)" in message
    assert "ENCORE_REDIS_URL must use one of the schemes redis, rediss, unix; not (hidden)" in message


def test_an_unknown_encore_name_is_warned_about_with_the_closest_key(tmp_path, monkeypatch, caplog):
    # Alembic's fileConfig (the suite's migrations) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("app.core.config"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="app.core.config")
    app = _start(tmp_path, monkeypatch, {"ENCORE_QUEUE_WORKER": "3", "ENCORE_TEST_SOMETHING": "1"})
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.core.config"]
    assert warnings == [
        "ENCORE_QUEUE_WORKER is not an Encore setting and is ignored by Encore; did you mean ENCORE_QUEUE_WORKERS?"
    ]
    assert app.config["QUEUE_WORKERS"] == 2  # not fatal; the real key keeps its default


def test_the_readme_table_is_the_setting_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    begin, end = "<!-- settings table: flask config table -->\n", "<!-- end of settings table -->"
    assert begin in readme and end in readme
    shown = readme.split(begin, 1)[1].split(end, 1)[0]
    assert shown == markdown_table(), "regenerate the README's table with `flask config table`"


def test_no_use_site_repeats_a_default():
    """``config["KEY"]`` everywhere: ``config.get("KEY") or 3`` would hide a missing setting
    behind a second default. (``ratelimit.storage_uri`` takes any mapping, tests pass ``{}``.)"""
    import re

    from app.core.config import BY_NAME

    pattern = re.compile(r'\.get\(\s*"({})"'.format("|".join(BY_NAME)))
    root = Path(__file__).resolve().parents[2] / "app"
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in root.rglob("*.py")
        if path.name not in {"config.py", "ratelimit.py"}
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_production_refuses_the_development_mail_page(tmp_path):
    import pytest

    from app.core.config import ConfigurationError
    from tests.conftest import make_test_app

    with pytest.raises(ConfigurationError, match="DEV_MAIL_PAGE"):
        make_test_app(
            "postgresql://unused/unused",
            tmp_path,
            ENV_NAME="production",
            DEV_MAIL_PAGE=True,
            STRIPE_SECRET_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_x",
        )


def test_the_development_mail_page_is_off_unless_turned_on(client, app, monkeypatch):
    assert client.get("/dev/mail").status_code == 404
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGE", True)
    assert client.get("/dev/mail").status_code == 200
