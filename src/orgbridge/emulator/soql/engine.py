"""The SOQL engine: runs queries and serves their pages through query locators."""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orgbridge.emulator.schema import OrgSchema
from orgbridge.emulator.soql.errors import MALFORMED_QUERY, SoqlError


@dataclass
class QueryPage:
    """One page of a query result, before the REST layer adds nextRecordsUrl."""

    total_size: int
    done: bool
    records: list[dict[str, Any]]
    next_locator: str | None


class SoqlEngine:
    """Translate SOQL into SQL over the org's tables and page through results."""

    def __init__(
        self, db: sqlite3.Connection, schema: OrgSchema, *, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._schema = schema
        self._clock = clock

    def initialize(self) -> None:
        """Create the locator tables; safe to call again on a reopened database."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS _query_locator ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, locator_id TEXT UNIQUE,"
            " soql TEXT NOT NULL, include_deleted INTEGER NOT NULL,"
            " time_zone TEXT NOT NULL, total_size INTEGER NOT NULL,"
            " last_used TEXT NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS _query_locator_rows ("
            " seq INTEGER NOT NULL, position INTEGER NOT NULL,"
            " record_id TEXT NOT NULL, PRIMARY KEY (seq, position)) WITHOUT ROWID"
        )

    def execute(
        self,
        soql: str,
        *,
        include_deleted: bool,
        batch_size: int,
        api_version: str,
        time_zone: str,
    ) -> QueryPage:
        raise SoqlError(MALFORMED_QUERY, "the emulator's SOQL engine is being built")
