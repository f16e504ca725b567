"""One full sync through the CLI with the state store on PostgreSQL.

Skipped unless ORGBRIDGE_TEST_POSTGRES_URL names an empty test database (its
state tables are dropped before and after the test).
"""

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, text

from orgbridge.cli.main import cli
from orgbridge.state.schema import metadata

from .conftest import Orgs, create_cases, target_cases

POSTGRES_URL_ENV = "ORGBRIDGE_TEST_POSTGRES_URL"


def _empty_database(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_orgs(orgs: Orgs) -> Iterator[Orgs]:
    """Both orgs, with the state store in the PostgreSQL test database."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV} (a database URL)")
    _empty_database(url)
    orgs.state_url = url
    yield orgs
    _empty_database(url)


async def _create(orgs: Orgs, count: int, **fields: str) -> list[str]:
    async with orgs.client("a") as a:
        return await create_cases(a, count, **fields)


async def _landed(orgs: Orgs) -> list[dict[str, str]]:
    async with orgs.client("b") as b:
        return await target_cases(b)


def test_sync_with_postgres_state(postgres_orgs: Orgs, tmp_path: Path) -> None:
    orgs = postgres_orgs
    config = tmp_path / "orgbridge.toml"
    config.write_text(orgs.toml())
    source_ids = asyncio.run(_create(orgs, 250))
    (escalated,) = asyncio.run(_create(orgs, 1, Status="Escalated"))
    runner = CliRunner()

    first = runner.invoke(cli, ["--config", str(config), "run"])
    assert first.exit_code == 1, first.output
    assert "created 250" in first.stdout
    assert "dead-lettered 1" in first.stdout
    assert "schema migrated from revision none (empty database) to 0001" in (
        first.stderr
    )
    password = make_url(orgs.state_url).password
    if password:
        assert password not in first.output

    second = runner.invoke(cli, ["--config", str(config), "run"])
    assert second.exit_code == 0, second.output
    assert "sent 0" in second.stdout

    with orgs.state() as state:
        assert state.engine.dialect.name == "postgresql"
        letters = state.dead_letters("a_to_b")
        runs = state.recent_runs("a_to_b")
    assert [letter.source_id for letter in letters] == [escalated]
    assert letters[0].fields == ["Status"]
    assert [run.status for run in runs] == ["succeeded", "dead_lettered"]

    copies = Counter(row["Source_Case_Id__c"] for row in asyncio.run(_landed(orgs)))
    assert set(copies) == set(source_ids)
    assert set(copies.values()) == {1}
