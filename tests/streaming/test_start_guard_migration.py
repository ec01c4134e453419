"""The migration's frozen copy of the start guard matches the streaming models' DDL."""

import importlib.util
from pathlib import Path

from app.streaming.models import start_guard_statements


def test_migration_start_guard_equals_the_models():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0016_play_starts.py"
    spec = importlib.util.spec_from_file_location("play_starts_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert start_guard_statements() == module.GUARD
