"""Create pairs, cursors, links, dead letters, runs and locks.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SF_TIMESTAMP = sa.String(32)
SF_ID = sa.String(18)


def upgrade() -> None:
    """Create every table of the first schema version."""
    op.create_table(
        "pairs",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("source_org", sa.String(100), nullable=False),
        sa.Column("target_org", sa.String(100), nullable=False),
        sa.Column("sobject", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cursors",
        sa.Column(
            "pair", sa.String(100), sa.ForeignKey("pairs.name"), primary_key=True
        ),
        sa.Column("ts", SF_TIMESTAMP, nullable=False),
        sa.Column("record_id", SF_ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "links",
        sa.Column(
            "pair", sa.String(100), sa.ForeignKey("pairs.name"), primary_key=True
        ),
        sa.Column("source_id", SF_ID, primary_key=True),
        sa.Column("target_id", SF_ID, nullable=False),
        sa.Column("source_modstamp", SF_TIMESTAMP, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(100), sa.ForeignKey("pairs.name"), nullable=False),
        sa.Column("source_id", SF_ID, nullable=False),
        sa.Column("source_modstamp", SF_TIMESTAMP, nullable=True),
        sa.Column("error_code", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_dead_letters_pair_source", "dead_letters", ["pair", "source_id"]
    )
    op.create_index("ix_dead_letters_pair_status", "dead_letters", ["pair", "status"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pair", sa.String(100), sa.ForeignKey("pairs.name"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("read_count", sa.Integer, nullable=False),
        sa.Column("sent_count", sa.Integer, nullable=False),
        sa.Column("created_count", sa.Integer, nullable=False),
        sa.Column("updated_count", sa.Integer, nullable=False),
        sa.Column("skipped_count", sa.Integer, nullable=False),
        sa.Column("dead_lettered_count", sa.Integer, nullable=False),
        sa.Column("source_api_calls", sa.Integer, nullable=False),
        sa.Column("target_api_calls", sa.Integer, nullable=False),
        sa.Column("cursor_from_ts", SF_TIMESTAMP, nullable=True),
        sa.Column("cursor_from_id", SF_ID, nullable=True),
        sa.Column("cursor_to_ts", SF_TIMESTAMP, nullable=True),
        sa.Column("cursor_to_id", SF_ID, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_runs_pair_started", "runs", ["pair", "started_at"])
    op.create_table(
        "locks",
        sa.Column("pair", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the first schema version."""
    for table in ("locks", "runs", "dead_letters", "links", "cursors", "pairs"):
        op.drop_table(table)
