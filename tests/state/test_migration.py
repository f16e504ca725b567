"""Migration of the state store: which databases skip Alembic and which run it."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from orgbridge.state import StateStore, StateUrlError
from orgbridge.state.migration import (
    MIGRATIONS,
    head_of_scripts,
    head_revision,
    stored_revisions,
    version_table,
)
from orgbridge.state.schema import metadata

# Opens the store at the URL in argv[1] and prints whether Alembic was imported,
# then either the revisions the version table contains or the StateUrlError.
CHILD = """
import json, sys
from sqlalchemy import text
from orgbridge.state import StateStore, StateUrlError

try:
    state = StateStore(sys.argv[1])
except StateUrlError as exc:
    print(json.dumps({"alembic": "alembic" in sys.modules, "error": str(exc)}))
    sys.exit()

with state, state.begin() as conn:
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
    print(json.dumps({"alembic": "alembic" in sys.modules, "versions": list(rows)}))
"""


def open_in_child(url: str) -> dict[str, object]:
    """Open a StateStore in a fresh interpreter and return what CHILD prints."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    result: dict[str, object] = json.loads(child.stdout)
    return result


def script(revision: str, down_revision: object) -> str:
    """Return the source of a migration script in Alembic's template form."""
    return f"revision = {revision!r}\ndown_revision = {down_revision!r}\n"


def test_head_revision_matches_alembic() -> None:
    alembic_head = ScriptDirectory(str(MIGRATIONS)).get_current_head()

    assert head_revision() is not None
    assert head_revision() == alembic_head


def test_fresh_database_skips_alembic(tmp_path: Path) -> None:
    result = open_in_child(f"sqlite:///{tmp_path}/state.sqlite")

    assert result["alembic"] is False
    assert result["versions"] == [head_revision()]


def test_fresh_database_logs_migration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="orgbridge.state.store")

    StateStore(f"sqlite:///{tmp_path}/state.sqlite").close()

    expected = f"from revision none (empty database) to {head_revision()}"
    assert expected in caplog.text


def test_unrelated_table_still_skips_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_app (id INTEGER PRIMARY KEY)"))
    engine.dispose()

    result = open_in_child(url)

    assert result["alembic"] is False
    assert result["versions"] == [head_revision()]


def test_empty_version_table_goes_to_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        version_table.create(conn)
    engine.dispose()

    result = open_in_child(url)

    assert result["alembic"] is True
    assert result["versions"] == [head_revision()]


def test_partial_schema_goes_to_alembic(tmp_path: Path) -> None:
    # A state table without a version table: Alembic runs the first script and
    # stops at the table that exists, rather than the store skipping it.
    url = f"sqlite:///{tmp_path}/state.sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.tables["pairs"].create(conn)
    engine.dispose()

    result = open_in_child(url)

    assert result["alembic"] is True
    assert "table pairs already exists" in str(result["error"])


def test_reopen_at_head_skips_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.sqlite"
    StateStore(url).close()

    result = open_in_child(url)

    assert result["alembic"] is False
    assert result["versions"] == [head_revision()]


def test_unknown_stored_revision_goes_to_alembic(tmp_path: Path) -> None:
    # A database written by a newer orgbridge: the quick check must not accept
    # it, and Alembic rejects a revision that no script defines.
    url = f"sqlite:///{tmp_path}/state.sqlite"
    StateStore(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(StateUrlError, match="from revision 9999"):
        StateStore(url)


def test_stored_revisions_of_empty_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.sqlite")
    with engine.connect() as conn:
        assert stored_revisions(conn) == ()
    engine.dispose()


def test_head_of_linear_chain() -> None:
    sources = [script("0002", "0001"), script("0001", None), script("0003", "0002")]

    assert head_of_scripts(sources) == "0003"


def test_head_of_merge_revision() -> None:
    sources = [
        script("0001", None),
        script("0002a", "0001"),
        script("0002b", "0001"),
        script("0003", ("0002a", "0002b")),
    ]

    assert head_of_scripts(sources) == "0003"


def test_head_of_two_branches_is_none() -> None:
    sources = [script("0001", None), script("0002a", "0001"), script("0002b", "0001")]

    assert head_of_scripts(sources) is None


def test_head_of_annotated_script() -> None:
    sources = [
        'revision: str = "0001"\ndown_revision: str | None = None\n',
        'revision: str = "0002"\ndown_revision: str | None = "0001"\n',
    ]

    assert head_of_scripts(sources) == "0002"


def test_head_of_computed_revision_is_none() -> None:
    sources = [script("0001", None), 'revision = "00" + "02"\ndown_revision = "0001"']

    assert head_of_scripts(sources) is None
