"""The migration's frozen copy of the play start function matches the streaming models' DDL."""

import importlib.util
from pathlib import Path

from app.streaming.models import start_function_statements


def test_migration_start_function_equals_the_models():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0029_play_start_function.py"
    spec = importlib.util.spec_from_file_location("play_start_function_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert start_function_statements() == module.START
