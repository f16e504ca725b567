"""Schema migrations of the state store: a quick check first, Alembic only if needed.

Importing Alembic takes 0.13 to 0.21 s after SQLAlchemy (wall time of the
import statement, five runs on a 2-CPU Linux machine), and every ``orgbridge
run`` opens the store. So ``upgrade_to_head`` first compares the revision stored
in Alembic's version table with the head revision of the migration scripts,
read from the scripts' source without importing them. Only when the two differ,
or the head cannot be read that way, does it import Alembic and run
``upgrade head``.
"""

import ast
import functools
import logging
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from orgbridge.state.errors import StateUrlError

logger = logging.getLogger(__name__)

MIGRATIONS = resources.files("orgbridge.state") / "migrations"
# Alembic's default version table; migrations/env.py keeps the default.
VERSION_TABLE = "alembic_version"


def upgrade_to_head(conn: Connection) -> tuple[str | None, str | None]:
    """Upgrade the schema on ``conn`` to the head revision.

    Returns the revisions before and after, where None means an empty database.
    """
    head = head_revision()
    if head is not None and stored_revisions(conn) == (head,):
        logger.debug("state schema is at head revision %s", head)
        return head, head

    # Imported here, because a schema at the head revision needs no Alembic.
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
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return tuple(sorted(str(revision) for revision in rows.scalars()))


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
