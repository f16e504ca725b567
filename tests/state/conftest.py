"""State-store fixtures: one empty database per test, on each available backend.

``state_url`` is parametrized over SQLite (a fresh file, always) and PostgreSQL
(only when ORGBRIDGE_TEST_POSTGRES_URL names a database, such as
``postgresql+psycopg://user:password@127.0.0.1:5432/orgbridge_test``). That
database is emptied before each test: every table of the state schema and
alembic's version table are dropped, so use a database that holds nothing else.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from orgbridge.state.schema import metadata

POSTGRES_URL_ENV = "ORGBRIDGE_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str | None:
    """Return the PostgreSQL test database URL from the environment, if set."""
    return os.environ.get(POSTGRES_URL_ENV) or None


def empty_postgres_database(url: str) -> None:
    """Drop the state tables and alembic's version table from the database."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of the test: "sqlite" or "postgresql"."""
    name = str(request.param)
    if name == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV} (a database URL)")
    return name


@pytest.fixture
def state_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty state database on the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/state.sqlite"
        return

    url = postgres_url()
    assert url is not None
    empty_postgres_database(url)
    yield url
    empty_postgres_database(url)
