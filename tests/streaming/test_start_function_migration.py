"""The migration's frozen copy of the play start function matches the streaming models' DDL."""

from app.streaming.models import start_function_statements
from tests.resources import migration_module


def test_migration_start_function_equals_the_models():
    assert start_function_statements() == migration_module("0029_play_start_function.py").START
