"""The migration's frozen copy of the governance guard triggers (the latest revision that sets them) matches the models' DDL."""

import importlib.util
from pathlib import Path

from app.governance.models import guard_statements


def test_migration_guards_equal_the_models():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0013_proposal_price_sets.py"
    spec = importlib.util.spec_from_file_location("governance_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert guard_statements() == module.GUARDS
