"""The SOQL engine: run queries and serve their pages through query locators.

A record query stores its ordered matching Ids in ``_query_locator_rows`` with
one INSERT ... SELECT when it runs (consecutive rowids in result order, so a page
is a rowid range), and every page, the first one included, reads
its slice of that snapshot joined to the current rows. Later pages therefore
neither skip nor repeat records when data changes between pages, while showing
each record's current field values. A query whose result fits in one page drops
its snapshot at once.

Locators expire after 15 minutes without use, and an org keeps at most
``MAX_LOCATORS`` of them, dropping the oldest first. An expired or unknown
locator gets INVALID_QUERY_LOCATOR.
"""

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orgbridge.emulator.schema import OrgSchema
from orgbridge.emulator.soql.dates import user_time_zone
from orgbridge.emulator.soql.errors import (
    INVALID_QUERY_LOCATOR,
    SoqlError,
)
from orgbridge.emulator.soql.parser import parse
from orgbridge.emulator.soql.translator import (
    AggregatePlan,
    ChildPlan,
    CountPlan,
    Plan,
    RecordPlan,
    Translator,
)
from orgbridge.salesforce.datetimes import format_datetime
from orgbridge.salesforce.ids import make_id

logger = logging.getLogger(__name__)

MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
MAX_LOCATORS = 300
LOCATOR_IDLE_LIMIT = timedelta(minutes=15)
LOCATOR_POD = "A0"


@dataclass
class QueryPage:
    """One page of a query result, before the REST layer adds nextRecordsUrl."""

    total_size: int
    done: bool
    records: list[dict[str, Any]]
    next_locator: str | None


@dataclass(frozen=True)
class _Locator:
    seq: int
    locator_id: str
    soql: str
    include_deleted: bool
    time_zone: str
    first_row: int
    total_size: int


class SoqlEngine:
    """Translate SOQL into SQL over the org's tables and page through results."""

    def __init__(
        self,
        db: sqlite3.Connection,
        schema: OrgSchema,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._schema = schema
        self._clock = clock

    def initialize(self) -> None:
        """Create the locator tables; safe to call again on a reopened database."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS _query_locator ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " locator_id TEXT UNIQUE NOT NULL,"
            " soql TEXT NOT NULL,"
            " include_deleted INTEGER NOT NULL,"
            " time_zone TEXT NOT NULL,"
            " first_row INTEGER NOT NULL,"
            " total_size INTEGER NOT NULL,"
            " last_used TEXT NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS _query_locator_rows ("
            " row INTEGER PRIMARY KEY AUTOINCREMENT,"
            " record_id TEXT NOT NULL)"
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
        """Run a query and return its first page.

        ``batch_size`` is clamped to Salesforce's 200..2000; ``time_zone`` is the
        querying user's IANA zone, used for date literals such as TODAY.
        Raises SoqlError for a query Salesforce would reject or the emulator does
        not support.
        """
        plan = self._plan(soql, include_deleted, time_zone)

        if isinstance(plan, CountPlan):
            count = int(self._db.execute(plan.sql, plan.params).fetchone()[0])
            logger.debug("COUNT() query matched %d rows", count)
            return QueryPage(count, True, [], None)
        if isinstance(plan, AggregatePlan):
            return self._aggregate_page(plan)

        locator = self._snapshot(plan, soql, include_deleted, time_zone)
        return self._page(plan, locator, 0, batch_size, api_version)

    def next_page(
        self, locator: str, *, batch_size: int, api_version: str
    ) -> QueryPage:
        """Return the page a ``nextRecordsUrl`` locator such as 01g...-2000 names."""
        locator_id, _, offset_text = locator.partition("-")
        stored = self._load_locator(locator_id)
        if stored is None or not offset_text.isdigit():
            raise SoqlError(INVALID_QUERY_LOCATOR, "invalid query locator")
        offset = int(offset_text)
        if offset > stored.total_size:
            raise SoqlError(INVALID_QUERY_LOCATOR, "invalid query locator")

        plan = self._plan(stored.soql, stored.include_deleted, stored.time_zone)
        if not isinstance(plan, RecordPlan):
            raise SoqlError(INVALID_QUERY_LOCATOR, "invalid query locator")
        self._db.execute(
            "UPDATE _query_locator SET last_used = ? WHERE seq = ?",
            (format_datetime(self._clock()), stored.seq),
        )
        return self._page(plan, stored, offset, batch_size, api_version)

    # Planning.

    def _plan(self, soql: str, include_deleted: bool, time_zone: str) -> Plan:
        try:
            zone = user_time_zone(time_zone)
        except ValueError as error:
            raise ValueError(f"querying user's time zone: {error}") from None
        translator = Translator(
            soql, self._schema, self._clock(), zone, include_deleted
        )
        return translator.plan(parse(soql))

    def _aggregate_page(self, plan: AggregatePlan) -> QueryPage:
        row = self._db.execute(plan.sql, plan.params).fetchone()
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for alias, value in zip(plan.aliases, row, strict=True):
            record[alias] = value
        return QueryPage(1, True, [record], None)

    # Locators.

    def _snapshot(
        self, plan: RecordPlan, soql: str, include_deleted: bool, time_zone: str
    ) -> _Locator:
        """Store the query's ordered Ids under a new locator, in one transaction."""
        now = format_datetime(self._clock())
        self._db.execute("SAVEPOINT soql_snapshot")
        try:
            self._expire_locators()
            cursor = self._db.execute(
                "INSERT INTO _query_locator (locator_id, soql, include_deleted,"
                " time_zone, first_row, total_size, last_used)"
                " VALUES (?, ?, ?, ?, 0, 0, ?)",
                (f"pending-{now}", soql, int(include_deleted), time_zone, now),
            )
            seq = int(cursor.lastrowid or 0)
            locator_id = make_id("01g", LOCATOR_POD, seq)
            # INSERT ... SELECT ... ORDER BY inserts in result order, and
            # AUTOINCREMENT gives the rows consecutive, never reused rowids.
            rows = self._db.execute(
                f"INSERT INTO _query_locator_rows (record_id) {plan.ids_sql}",
                plan.ids_params,
            )
            inserted = rows.rowcount
            first_row = int(rows.lastrowid or 0) - inserted + 1 if inserted else 0
            self._db.execute(
                "UPDATE _query_locator SET locator_id = ?, first_row = ?,"
                " total_size = ? WHERE seq = ?",
                (locator_id, first_row, inserted, seq),
            )
            self._db.execute("RELEASE soql_snapshot")
        except BaseException:
            self._db.execute("ROLLBACK TO soql_snapshot")
            self._db.execute("RELEASE soql_snapshot")
            raise
        logger.debug("Query locator %s stores %d %s Ids", locator_id, inserted,
                     plan.sobject)  # fmt: skip
        return _Locator(
            seq, locator_id, soql, include_deleted, time_zone, first_row, inserted
        )

    def _expire_locators(self) -> None:
        cutoff = format_datetime(self._clock() - LOCATOR_IDLE_LIMIT)
        expired = [
            (int(row[0]), int(row[1]), int(row[2]))
            for row in self._db.execute(
                "SELECT seq, first_row, total_size FROM _query_locator"
                " WHERE last_used < ? OR seq <= (SELECT seq FROM _query_locator"
                " ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (cutoff, MAX_LOCATORS - 1),
            )
        ]
        for seq, first_row, total_size in expired:
            self._drop_locator(seq, first_row, total_size)
        if expired:
            logger.debug("Expired %d query locators", len(expired))

    def _drop_locator(self, seq: int, first_row: int, total_size: int) -> None:
        self._db.execute(
            "DELETE FROM _query_locator_rows WHERE row >= ? AND row < ?",
            (first_row, first_row + total_size),
        )
        self._db.execute("DELETE FROM _query_locator WHERE seq = ?", (seq,))

    def _load_locator(self, locator_id: str) -> _Locator | None:
        row = self._db.execute(
            "SELECT seq, locator_id, soql, include_deleted, time_zone, first_row,"
            " total_size, last_used FROM _query_locator WHERE locator_id = ?",
            (locator_id,),
        ).fetchone()
        if row is None:
            return None
        if str(row[7]) < format_datetime(self._clock() - LOCATOR_IDLE_LIMIT):
            self._drop_locator(int(row[0]), int(row[5]), int(row[6]))
            return None
        return _Locator(
            seq=int(row[0]),
            locator_id=str(row[1]),
            soql=str(row[2]),
            include_deleted=bool(row[3]),
            time_zone=str(row[4]),
            first_row=int(row[5]),
            total_size=int(row[6]),
        )

    # Pages.

    def _page(
        self,
        plan: RecordPlan,
        locator: _Locator,
        start: int,
        batch_size: int,
        api_version: str,
    ) -> QueryPage:
        size = max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, batch_size))
        end = min(start + size, locator.total_size)
        bounds = (locator.first_row + start, locator.first_row + end)

        children = {
            child.relationship_name: self._children(child, bounds, api_version)
            for child in plan.children
        }
        records = plan.shape.build_all(
            self._fetch_tuples(plan.page_sql, bounds), api_version, children
        )

        done = end >= locator.total_size
        if done and start == 0:
            self._drop_locator(locator.seq, locator.first_row, locator.total_size)
        next_locator = None if done else f"{locator.locator_id}-{end}"
        return QueryPage(locator.total_size, done, records, next_locator)

    def _fetch_tuples(self, sql: str, params: tuple[int, int]) -> list[Any]:
        """Run a SELECT and return its rows as tuples, cheaper than sqlite3.Row."""
        cursor = self._db.cursor()
        cursor.row_factory = None
        try:
            return cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()

    def _children(
        self, child: ChildPlan, bounds: tuple[int, int], api_version: str
    ) -> dict[str, list[dict[str, Any]]]:
        """Fetch a child subquery's rows for every parent on a page, in one SELECT."""
        params = [*child.params_before, *bounds, *child.params_after]
        by_parent: dict[str, list[dict[str, Any]]] = {}
        width = len(child.shape.columns)
        for row in self._db.execute(child.sql, params):
            values = tuple(row)
            parent_id = str(values[width])
            record = child.shape.build(values[:width], api_version)
            by_parent.setdefault(parent_id, []).append(record)
        return by_parent
