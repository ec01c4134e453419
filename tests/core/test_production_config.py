"""Production refuses to start while anything makes it unsafe, and says everything at once."""

import pytest

from app import create_app
from app.core.config import ConfigurationError

GOOD = {
    "ENV_NAME": "production",
    "DATABASE_URL": "postgresql://encore@127.0.0.1:5432/encore",  # not connected at start
    "SECRET_KEY": "k" * 64,
    "SESSION_COOKIE_SECURE": True,
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


@pytest.fixture(autouse=True)
def _own_instance(tmp_path, monkeypatch):
    for name in ("ENCORE_SECRET_KEY", "FLASK_DEBUG", "ENCORE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))


def test_a_safe_production_configuration_starts():
    app = create_app(GOOD)
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_every_problem_is_listed_at_once(tmp_path):
    with pytest.raises(ConfigurationError) as refused:
        create_app({"ENV_NAME": "production", "DATABASE_URL": GOOD["DATABASE_URL"], "DEBUG": True})
    problems = refused.value.problems
    assert len(problems) == 4, problems
    text = str(refused.value)
    for needle in ("ENCORE_SECRET_KEY is not set", "SESSION_COOKIE_SECURE", "STRIPE_SECRET_KEY", "Debug mode"):
        assert needle in text
    # Nothing was generated into instance/ to paper over the missing key.
    assert not (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize(
    "change,needle",
    [
        ({"SECRET_KEY": None}, "ENCORE_SECRET_KEY is not set"),
        ({"SECRET_KEY": "x"}, "1 bytes long; it needs at least 32"),
        ({"SECRET_KEY": "é" * 15}, "30 bytes long"),  # bytes, not characters
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is not true"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "test payment provider"),
        ({"STRIPE_SECRET_KEY": None}, "test payment provider"),
        ({"DEBUG": True}, "Debug mode is on"),
    ],
)
def test_each_problem_is_refused(change, needle):
    with pytest.raises(ConfigurationError) as refused:
        create_app(GOOD | change)
    assert len(refused.value.problems) == 1 and needle in refused.value.problems[0]


def test_the_key_generated_for_development_is_refused(tmp_path):
    development = create_app({"DATABASE_URL": GOOD["DATABASE_URL"]})
    generated = development.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == generated
    with pytest.raises(ConfigurationError, match="development key generated into"):
        create_app(GOOD | {"SECRET_KEY": generated})


def test_debug_from_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="Debug mode"):
        create_app(GOOD)
