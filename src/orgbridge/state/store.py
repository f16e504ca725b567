"""StateStore: cursors, links, dead letters and run history in one SQL database.

Any SQLAlchemy URL works. The default is a SQLite file in WAL mode; PostgreSQL
runs the same schema and migrations through ``postgresql+psycopg://`` once the
``postgres`` extra (psycopg) is installed. The schema is migrated to the newest
revision every time a store opens, which is a no-op when it is current.
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from orgbridge.salesforce.datetimes import utc_now
from orgbridge.state import lease
from orgbridge.state.errors import PairOrgsChangedError, StateUrlError
from orgbridge.state.history import RunHistory, store_run_counts
from orgbridge.state.migration import upgrade_to_head
from orgbridge.state.records import (
    CursorPosition,
    DeadLetterState,
    FailedRecord,
    LinkState,
    RunCounts,
    SyncedRecord,
)
from orgbridge.state.schema import cursors, dead_letters, links, pairs
from orgbridge.state.upsert import upsert_rows

logger = logging.getLogger(__name__)

DEFAULT_STATE_URL = "sqlite:///.orgbridge/state.sqlite"
LEASE_TTL = timedelta(minutes=10)

# SQLite allows 32766 bound parameters per statement in recent versions, older
# builds 999; lookups by Id go in chunks well under both.
_IN_CHUNK = 500


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StateUrlError(f"invalid state URL: {exc}") from None

    if parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)

    try:
        engine = create_engine(parsed)
    except NoSuchModuleError as exc:
        raise StateUrlError(f"unsupported state URL scheme: {exc}") from None
    except ModuleNotFoundError as exc:
        raise StateUrlError(
            f"the database driver for {parsed.drivername} is not installed ({exc}); "
            "for PostgreSQL install orgbridge[postgres]"
        ) from None

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit
    # survives a killed process, and one lost to a power cut is only resent
    # (an upsert on the external ID, so no duplicate).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class StateStore(RunHistory):
    """The sync engine's memory, in one SQL database given by a SQLAlchemy URL."""

    def __init__(
        self, url: str = DEFAULT_STATE_URL, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.url = url
        self._clock = clock
        self.engine = _create_engine(url)
        try:
            self.migrate()
        except OperationalError as exc:
            self.engine.dispose()
            raise StateUrlError(f"cannot open the state database: {exc.orig}") from None

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent)."""
        with self.engine.begin() as conn:
            before, after = upgrade_to_head(conn)

        if after != before:
            logger.info(
                "state database %s: schema migrated from revision %s to %s",
                self.engine.url.render_as_string(hide_password=True),
                before or "none (empty database)",
                after,
            )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        """Return the store's clock reading, aware UTC."""
        return self._clock().astimezone(UTC)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """Open one transaction; committed on exit, rolled back on an exception."""
        with self.engine.begin() as conn:
            yield conn

    # Pairs and leases

    def ensure_pair(
        self, name: str, source_org: str, target_org: str, sobject: str
    ) -> None:
        """Register a pair, or update the sObject of a pair that exists.

        Raises PairOrgsChangedError when the pair exists with other orgs, because
        its links and cursor describe records of those orgs.
        """
        values = {
            "source_org": source_org,
            "target_org": target_org,
            "sobject": sobject,
        }
        row = {"name": name, "created_at": self.now(), **values}
        with self.begin() as conn:
            stored = conn.execute(
                select(pairs.c.source_org, pairs.c.target_org).where(
                    pairs.c.name == name
                )
            ).first()
            if stored is not None and tuple(stored) != (source_org, target_org):
                raise PairOrgsChangedError(
                    name,
                    (stored.source_org, stored.target_org),
                    (source_org, target_org),
                )
            upsert_rows(conn, pairs, [row], updated=["sobject"])

    def acquire_lease(self, pair: str, owner: str, ttl: timedelta = LEASE_TTL) -> None:
        """Take the pair's lease, or raise PairLockedError."""
        with self.begin() as conn:
            lease.acquire(conn, pair, owner, self.now(), ttl)

    def renew_lease(self, pair: str, owner: str, ttl: timedelta = LEASE_TTL) -> None:
        """Extend the pair's lease, or raise PairLockedError if it was taken."""
        with self.begin() as conn:
            lease.renew(conn, pair, owner, self.now(), ttl)

    def release_lease(self, pair: str, owner: str) -> None:
        """Give up the pair's lease."""
        with self.begin() as conn:
            lease.release(conn, pair, owner)

    # Cursor and links

    def cursor(self, pair: str) -> CursorPosition | None:
        """Return the pair's cursor, or None before its first stored batch."""
        with self.begin() as conn:
            row = conn.execute(
                select(cursors.c.ts, cursors.c.record_id).where(cursors.c.pair == pair)
            ).first()
        return None if row is None else CursorPosition(row.ts, row.record_id)

    def links(self, pair: str, source_ids: Sequence[str]) -> dict[str, LinkState]:
        """Return the stored link of each given source Id that has one."""
        found: dict[str, LinkState] = {}
        with self.begin() as conn:
            for chunk in _chunks(source_ids):
                rows = conn.execute(
                    select(
                        links.c.source_id,
                        links.c.target_id,
                        links.c.source_modstamp,
                        links.c.payload_hash,
                    ).where(links.c.pair == pair, links.c.source_id.in_(chunk))
                )
                for row in rows:
                    found[row.source_id] = LinkState(
                        row.target_id, row.source_modstamp, row.payload_hash
                    )
        return found

    def unresolved_dead_letters(
        self, pair: str, source_ids: Sequence[str]
    ) -> dict[str, DeadLetterState]:
        """Return the open or discarded dead letter of each given source Id.

        A record with both keeps its open dead letter, because that one records
        the latest failure.
        """
        found: dict[str, DeadLetterState] = {}
        with self.begin() as conn:
            for chunk in _chunks(source_ids):
                rows = conn.execute(
                    select(
                        dead_letters.c.source_id,
                        dead_letters.c.source_modstamp,
                        dead_letters.c.error_code,
                        dead_letters.c.status,
                    ).where(
                        dead_letters.c.pair == pair,
                        dead_letters.c.status.in_(("open", "discarded")),
                        dead_letters.c.source_id.in_(chunk),
                    )
                )
                for row in rows:
                    known = found.get(row.source_id)
                    if known is not None and known.status == "open":
                        continue
                    found[row.source_id] = DeadLetterState(
                        row.source_modstamp, row.error_code, row.status
                    )
        return found

    def record_batch(
        self,
        pair: str,
        synced: Iterable[SyncedRecord],
        failed: Iterable[FailedRecord],
        cursor: CursorPosition | None,
        *,
        run: tuple[int, RunCounts] | None = None,
        lease_owner: str | None = None,
    ) -> None:
        """Store a batch's outcomes and move the cursor, in one transaction.

        Links are inserted or updated; a success resolves the record's open dead
        letter; a failure opens a dead letter or counts another attempt on it. The
        cursor only moves forward. ``run`` (run id, counters) stores the run's
        progress and ``lease_owner`` renews the pair's lease in the same
        transaction, so a batch costs one commit.
        """
        now = self.now()
        synced = list(synced)
        with self.begin() as conn:
            self._store_links(conn, pair, synced, now)
            for failure in failed:
                self._store_dead_letter(conn, pair, failure, now)
            if cursor is not None:
                self._move_cursor(conn, pair, cursor, now)
            if run is not None:
                store_run_counts(conn, *run)
            if lease_owner is not None:
                lease.renew(conn, pair, lease_owner, now, LEASE_TTL)

    def _store_links(
        self, conn: Connection, pair: str, synced: list[SyncedRecord], now: datetime
    ) -> None:
        ids = [record.source_id for record in synced]
        with_letters: set[str] = set()
        for chunk in _chunks(ids):
            with_letters.update(
                conn.execute(
                    select(dead_letters.c.source_id).where(
                        dead_letters.c.pair == pair,
                        dead_letters.c.status == "open",
                        dead_letters.c.source_id.in_(chunk),
                    )
                ).scalars()
            )

        # Keyed by source Id: one upsert statement must not touch a row twice
        # (PostgreSQL rejects that), so a repeated record keeps its last outcome.
        rows = {
            record.source_id: {
                "pair": pair,
                "source_id": record.source_id,
                "target_id": record.target_id,
                "source_modstamp": record.source_modstamp,
                "payload_hash": record.payload_hash,
                "synced_at": now,
            }
            for record in synced
        }
        upsert_rows(
            conn,
            links,
            list(rows.values()),
            updated=["target_id", "source_modstamp", "payload_hash", "synced_at"],
        )

        if with_letters:
            conn.execute(
                update(dead_letters)
                .where(
                    dead_letters.c.pair == pair,
                    dead_letters.c.status == "open",
                    dead_letters.c.source_id.in_(sorted(with_letters)),
                )
                .values(status="resolved", resolved_at=now, last_seen_at=now)
            )

    def _store_dead_letter(
        self, conn: Connection, pair: str, failure: FailedRecord, now: datetime
    ) -> None:
        values = {
            "source_modstamp": failure.source_modstamp,
            "error_code": failure.error_code,
            "message": failure.message,
            "fields": list(failure.fields),
            "payload": failure.payload,
            "last_seen_at": now,
        }
        changed = conn.execute(
            update(dead_letters)
            .where(
                dead_letters.c.pair == pair,
                dead_letters.c.source_id == failure.source_id,
                dead_letters.c.status == "open",
            )
            .values(attempts=dead_letters.c.attempts + 1, **values)
        )
        if changed.rowcount == 0:
            conn.execute(
                insert(dead_letters).values(
                    pair=pair,
                    source_id=failure.source_id,
                    attempts=1,
                    status="open",
                    first_seen_at=now,
                    **values,
                )
            )

    def _move_cursor(
        self, conn: Connection, pair: str, cursor: CursorPosition, now: datetime
    ) -> None:
        row = conn.execute(
            select(cursors.c.ts, cursors.c.record_id).where(cursors.c.pair == pair)
        ).first()
        if row is None:
            conn.execute(
                insert(cursors).values(
                    pair=pair, ts=cursor.ts, record_id=cursor.record_id, updated_at=now
                )
            )
            return

        if cursor > CursorPosition(row.ts, row.record_id):
            conn.execute(
                update(cursors)
                .where(cursors.c.pair == pair)
                .values(ts=cursor.ts, record_id=cursor.record_id, updated_at=now)
            )
