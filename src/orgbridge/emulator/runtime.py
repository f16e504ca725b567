"""One emulated org at run time: its setup, schema, database and services.

``open_org`` builds everything an org's HTTP app needs around one SQLite connection.
The app serves requests on one event loop thread, so the connection is used from
that thread only, one request's transaction at a time.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orgbridge.emulator.config import OrgConfig
from orgbridge.emulator.counters import Counters
from orgbridge.emulator.faults import FaultInjector
from orgbridge.emulator.oauth import OAuthServer
from orgbridge.emulator.schema import OrgSchema, build_org_schema
from orgbridge.emulator.soql import SoqlEngine
from orgbridge.emulator.store import RecordStore
from orgbridge.salesforce.datetimes import utc_now


@dataclass
class OrgRuntime:
    """The services of one emulated org, sharing one database connection."""

    config: OrgConfig
    schema: OrgSchema
    db: sqlite3.Connection
    store: RecordStore
    soql: SoqlEngine
    oauth: OAuthServer
    faults: FaultInjector
    counters: Counters
    clock: Callable[[], datetime]

    def close(self) -> None:
        """Close the database; a file-backed org keeps everything it committed."""
        self.db.close()


def connect(data_path: Path | None) -> sqlite3.Connection:
    """Open the org's database: a WAL file when a path is given, else memory.

    ``synchronous=FULL`` makes every acknowledged commit survive a killed process.
    Transactions are explicit (``isolation_level=None``): the store opens and
    commits them.
    """
    target = ":memory:" if data_path is None else str(data_path)
    db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    if data_path is not None:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=OFF")
    return db


def open_org(
    config: OrgConfig,
    data_path: Path | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> OrgRuntime:
    """Build an org's services, creating its tables on first use."""
    schema = build_org_schema(config)
    db = connect(data_path)

    store = RecordStore(db, schema, config, clock=clock)
    store.initialize()
    oauth = OAuthServer(config, db, clock=clock)
    oauth.initialize()
    soql = SoqlEngine(db, schema, clock=clock)
    soql.initialize()

    return OrgRuntime(
        config=config,
        schema=schema,
        db=db,
        store=store,
        soql=soql,
        oauth=oauth,
        faults=FaultInjector(config.faults),
        counters=Counters(),
        clock=clock,
    )
