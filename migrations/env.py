"""Alembic environment: one migration history for every table, the app's and the ledger's."""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    # Keep the app's loggers: migrations also run inside a live process (tests, `flask db
    # upgrade` after the app configured its JSON logging), whose loggers must keep writing.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# One PostgreSQL advisory lock key for "the schema is being upgraded" (any constant bigint that
# nothing else uses; this one is the ASCII of "encoremg"). Two instances that start together
# both run `flask db upgrade`: the second waits on the lock, then finds the schema at head and
# does nothing, instead of racing the first through the same DDL.
MIGRATION_LOCK_KEY = 0x656E636F72656D67


def target_metadata():
    from app.core.domains import all_metadata

    return all_metadata()


def include_object(obj, name, type_, reflected, compare_to):
    from app.core.queue import include_in_migrations

    return include_in_migrations(obj, name, type_, reflected, compare_to)


def render_item(type_, obj, autogen_context):
    """Write decorated column types as the plain SQLAlchemy type they store, so migration
    files never import the app."""
    from sqlalchemy.types import TypeDecorator

    if type_ == "type" and isinstance(obj, TypeDecorator):
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline():
    context.configure(
        url=current_app.config["SQLALCHEMY_DATABASE_URI"],
        target_metadata=target_metadata(),
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def migration_lock(connection):
    """Hold the session-level advisory lock while inside. Taken and committed before alembic
    reads the current revision, so a waiter reads it only after the holder's upgrade committed.
    A session lock outlives transactions and dies with the connection, so a killed upgrade
    never leaves it held."""
    if connection.dialect.name != "postgresql":
        yield
        return
    if not connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})").scalar():
        logger.info("Another process is migrating this database; waiting for it.")
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    connection.commit()
    try:
        yield
    finally:
        if not connection.invalidated:
            connection.rollback()
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            connection.commit()


def run_migrations_online():
    def skip_empty_autogenerate(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    engine = current_app.extensions["migrate"].db.engine
    from app.core.deadlines import unbounded

    # A migration may rightly run longer than any request: no statement timeout here.
    with engine.connect() as connection, unbounded(connection), migration_lock(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata(),
            process_revision_directives=skip_empty_autogenerate,
            compare_type=True,
            include_object=include_object,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
