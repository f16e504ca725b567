"""Tables of the state store, as SQLAlchemy Core metadata.

The store creates an empty database from these definitions and migrates any other
database with the scripts in ``orgbridge.state.migrations``, so a change here needs
a new migration script too. A test builds a database each way and checks that the
schemas are equal.

Salesforce timestamps (a Case's SystemModstamp or CreatedDate) are kept as the REST
text ``2024-01-01T10:00:00.000+0000``: always UTC with milliseconds, so text order
is time order and a value round-trips unchanged. Local timestamps (run start, lease
expiry) are ``DateTime`` in UTC.
"""

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# A Salesforce datetime in REST form is 28 characters; 32 leaves room.
SF_TIMESTAMP = String(32)
SF_ID = String(18)

pairs = Table(
    "pairs",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("source_org", String(100), nullable=False),
    Column("target_org", String(100), nullable=False),
    Column("sobject", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("pair", String(100), ForeignKey("pairs.name"), primary_key=True),
    Column("ts", SF_TIMESTAMP, nullable=False),
    Column("record_id", SF_ID, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("pair", String(100), ForeignKey("pairs.name"), primary_key=True),
    Column("source_id", SF_ID, primary_key=True),
    Column("target_id", SF_ID, nullable=False),
    Column("source_modstamp", SF_TIMESTAMP, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pair", String(100), ForeignKey("pairs.name"), nullable=False),
    Column("source_id", SF_ID, nullable=False),
    Column("source_modstamp", SF_TIMESTAMP, nullable=True),
    Column("error_code", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("payload", JSON, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)
Index("ix_dead_letters_pair_source", dead_letters.c.pair, dead_letters.c.source_id)
Index("ix_dead_letters_pair_status", dead_letters.c.pair, dead_letters.c.status)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pair", String(100), ForeignKey("pairs.name"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(20), nullable=False),
    Column("read_count", Integer, nullable=False, default=0),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("created_count", Integer, nullable=False, default=0),
    Column("updated_count", Integer, nullable=False, default=0),
    Column("skipped_count", Integer, nullable=False, default=0),
    Column("dead_lettered_count", Integer, nullable=False, default=0),
    Column("source_api_calls", Integer, nullable=False, default=0),
    Column("target_api_calls", Integer, nullable=False, default=0),
    Column("cursor_from_ts", SF_TIMESTAMP, nullable=True),
    Column("cursor_from_id", SF_ID, nullable=True),
    Column("cursor_to_ts", SF_TIMESTAMP, nullable=True),
    Column("cursor_to_id", SF_ID, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_runs_pair_started", runs.c.pair, runs.c.started_at)

# One row per pair while a run holds it; a lease that expires, so a crashed run
# cannot block the pair forever.
locks = Table(
    "locks",
    metadata,
    Column("pair", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
