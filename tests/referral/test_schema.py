"""The Alembic migrations and the models describe the same schema."""

from sqlalchemy import inspect

from referral.schema import current_revision, model_drift


def test_migrations_match_the_models(engine):
    assert model_drift(engine) == []


def test_database_is_at_the_latest_revision(engine):
    from alembic.script import ScriptDirectory

    from referral.schema import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head


def test_integrity_lives_in_the_database(engine):
    inspector = inspect(engine)
    uniques = {
        table: {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        for table in ("application", "share_link", "credit_event")
    }
    assert ("candidate_id", "offer_id") in uniques["application"]
    assert ("offer_id", "agent_id", "channel") in uniques["share_link"]
    assert ("application_id", "milestone", "round", "is_reversal") in uniques["credit_event"]
    checks = {c["name"] for c in inspector.get_check_constraints("application")}
    assert "ck_application_status" in checks
