"""An empty state database gets the same schema from the table definitions as
from Alembic's ``upgrade head``.

The store creates an empty database from ``orgbridge.state.schema`` and stamps
it with the head revision; every other database is migrated by the scripts. These
tests build one database each way and compare them, so a change to the table
definitions without a migration, or the reverse, fails here. They run on SQLite,
and on PostgreSQL when ORGBRIDGE_TEST_POSTGRES_URL is set (see conftest.py). The
PostgreSQL DDL of both ways is also compared without a server.
"""

import io
import re
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, create_mock_engine, inspect, text
from sqlalchemy.engine import Connection

from orgbridge.state.migration import (
    MIGRATIONS,
    VERSION_TABLE,
    create_at_head,
    head_revision,
    stored_revisions,
    version_table,
)
from orgbridge.state.schema import metadata

Snapshot = dict[str, dict[str, Any]]


def upgrade_with_alembic(conn: Connection) -> None:
    """Run Alembic's ``upgrade head`` on ``conn``, as the store does."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def create_from_definitions(conn: Connection) -> None:
    """Create the schema from the table definitions, as the store does when empty."""
    head = head_revision()
    assert head is not None
    create_at_head(conn, head)


def build(url: str, steps: Callable[[Connection], None]) -> None:
    """Empty the database at ``url``, then run ``steps`` in one transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            version_table.drop(conn, checkfirst=True)
        with engine.begin() as conn:
            steps(conn)
    finally:
        engine.dispose()


def inspect_database(url: str) -> tuple[Snapshot, list[Any], tuple[str, ...]]:
    """Return the schema snapshot, the autogenerate diff and the stored revisions."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            return schema_snapshot(conn), diff, stored_revisions(conn)
    finally:
        engine.dispose()


def schema_snapshot(conn: Connection) -> Snapshot:
    """Describe every table as reflected: columns, keys, indexes and constraints."""
    inspector = inspect(conn)
    snapshot: Snapshot = {}
    for table in sorted(inspector.get_table_names()):
        snapshot[table] = {
            "columns": [
                (
                    column["name"],
                    str(column["type"]),
                    column["nullable"],
                    column.get("default"),
                )
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(inspector.get_foreign_keys(table), key=repr),
            "indexes": sorted(inspector.get_indexes(table), key=repr),
            "unique_constraints": sorted(
                inspector.get_unique_constraints(table), key=repr
            ),
        }
    return snapshot


def sqlite_ddl(url: str) -> list[tuple[str, str, str]]:
    """Return each SQLite schema object's type, name and CREATE statement."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            )
            return [(row.type, row.name, row.sql) for row in rows]
    finally:
        engine.dispose()


def test_definitions_match_alembic_schema(state_url: str, backend: str) -> None:
    build(state_url, upgrade_with_alembic)
    migrated, migrated_diff, migrated_revisions = inspect_database(state_url)
    migrated_ddl = sqlite_ddl(state_url) if backend == "sqlite" else []
    build(state_url, create_from_definitions)
    created, created_diff, created_revisions = inspect_database(state_url)
    created_ddl = sqlite_ddl(state_url) if backend == "sqlite" else []

    assert set(migrated) == {*metadata.tables, VERSION_TABLE}
    assert migrated_diff == []
    assert created_diff == []
    assert created == migrated
    assert created_revisions == migrated_revisions == (head_revision(),)
    assert created_ddl == migrated_ddl


def test_version_table_matches_alembic(state_url: str) -> None:
    build(state_url, create_from_definitions)
    engine = create_engine(state_url)
    with engine.connect() as conn:
        inspector = inspect(conn)
        columns = inspector.get_columns(VERSION_TABLE)
        primary_key = inspector.get_pk_constraint(VERSION_TABLE)
    engine.dispose()

    assert [column["name"] for column in columns] == ["version_num"]
    assert str(columns[0]["type"]) == "VARCHAR(32)"
    assert columns[0]["nullable"] is False
    assert primary_key["name"] == "alembic_version_pkc"
    assert primary_key["constrained_columns"] == ["version_num"]


def test_alembic_upgrade_after_create_is_noop(state_url: str) -> None:
    build(state_url, create_from_definitions)
    created, _diff, _revisions = inspect_database(state_url)

    # Alembic would fail on "table already exists" if it ran the first script.
    engine = create_engine(state_url)
    with engine.begin() as conn:
        upgrade_with_alembic(conn)
        heads = MigrationContext.configure(conn).get_current_heads()
    engine.dispose()
    upgraded, upgraded_diff, upgraded_revisions = inspect_database(state_url)

    assert heads == (head_revision(),)
    assert upgraded_revisions == (head_revision(),)
    assert upgraded_diff == []
    assert upgraded == created


def test_snapshot_detects_missing_index(state_url: str) -> None:
    # The comparison above must be able to fail: a database that lacks one
    # index differs from one that has it, in the snapshot and for autogenerate.
    build(state_url, create_from_definitions)
    complete, _diff, _revisions = inspect_database(state_url)
    engine = create_engine(state_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_runs_pair_started"))
    engine.dispose()

    incomplete, incomplete_diff, _revisions = inspect_database(state_url)

    assert incomplete != complete
    assert [change[0] for change in incomplete_diff] == ["add_index"]


def normalize_sql(statement: str) -> str:
    """Drop ``--`` comment lines and collapse whitespace, for comparing DDL."""
    lines = [line for line in statement.splitlines() if not line.startswith("--")]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def alembic_postgresql_ddl() -> list[str]:
    """Return the CREATE statements of ``upgrade head --sql`` for PostgreSQL."""
    script = ScriptDirectory(str(MIGRATIONS))
    output = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql",
        opts={
            "as_sql": True,
            "output_buffer": output,
            "script": script,
            # The revisions that alembic.command.upgrade runs for "head".
            "fn": lambda revision, _context: script._upgrade_revs("head", revision),
        },
    )
    with Operations.context(context):
        context.run_migrations()

    statements = [normalize_sql(part) for part in output.getvalue().split(";")]
    return [statement for statement in statements if statement.startswith("CREATE")]


def definitions_postgresql_ddl() -> list[str]:
    """Return the CREATE statements that ``create_at_head`` runs on PostgreSQL."""
    statements: list[str] = []

    def record(ddl: Any, *_args: Any, **_kwargs: Any) -> None:
        statements.append(normalize_sql(str(ddl.compile(dialect=engine.dialect))))

    engine = create_mock_engine("postgresql://", record)
    metadata.create_all(engine, checkfirst=False)
    version_table.create(engine, checkfirst=False)
    return statements


def test_postgresql_ddl_matches_alembic() -> None:
    indexes = sum(len(table.indexes) for table in metadata.tables.values())
    created = definitions_postgresql_ddl()

    assert len(created) == len(metadata.tables) + indexes + 1
    assert sorted(created) == sorted(alembic_postgresql_ddl())
