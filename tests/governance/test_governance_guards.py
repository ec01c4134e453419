"""The migration's frozen copy of the governance guard triggers (the latest revision that sets them) matches the models' DDL."""

from app.governance.models import guard_statements
from tests.resources import migration_module


def test_migration_guards_equal_the_models():
    assert guard_statements() == migration_module("0013_proposal_price_sets.py").GUARDS
