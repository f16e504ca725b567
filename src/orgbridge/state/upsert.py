"""Insert-or-update of rows by primary key, in one statement where the dialect can.

SQLite (3.24 and later) and PostgreSQL both take ``INSERT ... ON CONFLICT (key)
DO UPDATE``, which is atomic: two runs that write the same key at once never
fail on the unique constraint. Other dialects get a SELECT, then an INSERT or an
UPDATE per row, which is correct only while one writer at a time holds the
pair's lease.
"""

from collections.abc import Sequence
from importlib import import_module
from typing import Any

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.engine import Connection


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    updated: Sequence[str],
) -> None:
    """Insert each row, or update its ``updated`` columns if its key exists."""
    if not rows:
        return

    keys = [column.name for column in table.primary_key.columns]
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        # sqlalchemy.dialects.postgresql or .sqlite, imported by name so that a
        # SQLite run does not load the PostgreSQL dialect.
        module: Any = import_module(f"sqlalchemy.dialects.{dialect}")
        statement = module.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: statement.excluded[name] for name in updated},
        )
        conn.execute(statement, list(rows))
        return

    for row in rows:
        match = and_(*(table.c[key] == row[key] for key in keys))
        found = conn.execute(select(*(table.c[key] for key in keys)).where(match))
        if found.first() is None:
            conn.execute(insert(table).values(**row))
        else:
            values = {name: row[name] for name in updated}
            conn.execute(update(table).where(match).values(**values))
