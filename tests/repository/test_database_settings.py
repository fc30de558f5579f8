"""How batch work asks PostgreSQL to plan its statements."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from repository.extensions import db
from repository.transactions import plan_for_this_batch


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the test database is not PostgreSQL (HUIKU_TEST_DATABASE_URL)")


def _mode() -> str:
    return db.session.execute(text("SHOW plan_cache_mode")).scalar_one()


def test_a_batch_plans_each_statement_for_its_own_parameters(postgresql):
    """A batch's look-ups must not keep a plan made when the table was nearly empty."""
    with db.session.begin_nested():
        plan_for_this_batch()
        assert _mode() == "force_custom_plan"
