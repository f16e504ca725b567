"""Schema migrations of the state store: quick paths first, Alembic only if needed.

Importing Alembic takes 0.13 to 0.21 s after SQLAlchemy (wall time of the
import statement, five runs on a 2-CPU Linux machine), and every ``orgbridge
run`` opens the store. So ``upgrade_to_head`` reads the head revision of the
migration scripts from their source, without importing them, and takes one of
three paths:

- A database whose version table stores the head revision is left as it is.
- An empty database gets the tables of ``orgbridge.state.schema`` from
  ``create_all``, then a version table built as Alembic builds it, with the head
  revision in it. This is the recipe "Building an Up to Date Database from
  Scratch" in Alembic's cookbook, minus Alembic. A test builds one database this
  way and one with ``upgrade head`` and checks that the schemas are equal.
- Any other database (an older or unknown revision, a partial schema), or any
  database when the head cannot be read from the source, goes to Alembic's
  ``upgrade head``.
"""

import ast
import functools
import logging
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from orgbridge.state.errors import StateUrlError
from orgbridge.state.schema import metadata

logger = logging.getLogger(__name__)

MIGRATIONS = resources.files("orgbridge.state") / "migrations"
# Alembic's default version table; migrations/env.py keeps the default.
VERSION_TABLE = "alembic_version"

# The version table as Alembic 1.20 creates it (DefaultImpl.version_table_impl in
# alembic/ddl/impl.py, which the SQLite and PostgreSQL dialects do not override),
# so that Alembic reads and updates one created here.
version_table = Table(
    VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
)


def upgrade_to_head(conn: Connection) -> tuple[str | None, str | None]:
    """Upgrade the schema on ``conn`` to the head revision.

    Returns the revisions before and after, where None means an empty database.
    """
    head = head_revision()
    if head is not None and stored_revisions(conn) == (head,):
        logger.debug("state schema is at head revision %s", head)
        return head, head

    if head is not None and is_empty(conn):
        create_at_head(conn, head)
        return None, head

    # Imported here, because a current or empty database needs no Alembic.
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    before = MigrationContext.configure(conn).get_current_revision()
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        # For example a revision written by a newer orgbridge, which no script
        # of this version defines.
        raise StateUrlError(
            f"cannot migrate the state database from revision {before}: {exc}; "
            "use the orgbridge version that wrote it, or a new state database"
        ) from None
    after = MigrationContext.configure(conn).get_current_revision()
    return before, after


def stored_revisions(conn: Connection) -> tuple[str, ...]:
    """Return the revisions in Alembic's version table, sorted, or () without one."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    rows = conn.execute(select(version_table.c.version_num))
    return tuple(sorted(str(revision) for revision in rows.scalars()))


def is_empty(conn: Connection) -> bool:
    """Return True when the database has no state table and no version table.

    Tables of other applications do not count, as Alembic would create the state
    tables next to them too.
    """
    ours = {*metadata.tables, VERSION_TABLE}
    return ours.isdisjoint(inspect(conn).get_table_names())


def create_at_head(conn: Connection, head: str) -> None:
    """Create the schema of an empty database and store ``head`` as its revision.

    Every CREATE runs without checking first, so a table that another process
    created since ``is_empty`` raises instead of being skipped.
    """
    metadata.create_all(conn, checkfirst=False)
    version_table.create(conn, checkfirst=False)
    conn.execute(insert(version_table).values(version_num=head))
    logger.debug(
        "created the state schema at revision %s from the table definitions, "
        "because the database was empty",
        head,
    )


@functools.cache
def head_revision() -> str | None:
    """Return the head revision of the migration scripts, read from their source."""
    sources = [script.read_text(encoding="utf-8") for script in _version_scripts()]
    return head_of_scripts(sources)


def head_of_scripts(sources: Iterable[str]) -> str | None:
    """Return the head revision of the given migration scripts' source code.

    A script's revision is its module-level ``revision`` string and its parents
    are in ``down_revision`` (a string, a tuple for a merge, or None), as in
    Alembic's script template. The head is the one revision that is no other
    script's parent. Returns None, so that Alembic decides, when a script does
    not state its revision as a literal or when there is not exactly one head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for source in sources:
        constants = _literal_assignments(source)
        revision = constants.get("revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)

        down_revision = constants.get("down_revision")
        if isinstance(down_revision, str):
            parents.add(down_revision)
        elif isinstance(down_revision, tuple | list):
            parents.update(str(parent) for parent in down_revision)

    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _version_scripts() -> list[Traversable]:
    # The files Alembic loads as revisions: *.py in versions/, except
    # __init__.py and editor lock files (".#name.py").
    return [
        script
        for script in (MIGRATIONS / "versions").iterdir()
        if script.name.endswith(".py")
        and not script.name.startswith((".#", "__init__"))
    ]


def _literal_assignments(source: str) -> dict[str, object]:
    """Return the module-level names assigned a literal (``x = 1``, ``x: T = 1``)."""
    constants: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            constants[target.id] = ast.literal_eval(value)
        except (ValueError, TypeError):
            continue
    return constants
