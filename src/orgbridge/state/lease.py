"""A lease per pair in the ``locks`` table, so two runs of one pair never overlap.

A run takes the lease before it reads anything and renews it after every batch.
A lease left by a crashed run expires after its time to live; a lease whose owner
was a process on this host that no longer exists is taken over at once.
"""

import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from orgbridge.state.errors import PairLockedError
from orgbridge.state.schema import locks

logger = logging.getLogger(__name__)


def new_owner() -> str:
    """Build an owner name ``host:pid:random`` for this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_dead_local_process(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False

    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def acquire(
    conn: Connection, pair: str, owner: str, now: datetime, ttl: timedelta
) -> None:
    """Take the lease on ``pair`` for ``owner`` or raise PairLockedError."""
    expires_at = now + ttl
    row = conn.execute(select(locks).where(locks.c.pair == pair)).first()

    if row is None:
        # A run that inserts the row first wins. The savepoint keeps this
        # transaction usable after the unique violation, because PostgreSQL
        # rejects every further statement in a transaction with a failed one.
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(locks).values(
                        pair=pair, owner=owner, acquired_at=now, expires_at=expires_at
                    )
                )
            return
        except IntegrityError:
            row = conn.execute(select(locks).where(locks.c.pair == pair)).one()

    holder_expires = _aware(row.expires_at)
    stale = holder_expires <= now or _owner_is_dead_local_process(row.owner)
    if row.owner != owner and not stale:
        raise PairLockedError(pair, row.owner, holder_expires.isoformat())

    # The WHERE on the old owner makes the takeover atomic: of two runs that both
    # saw a stale lease, only one updates the row.
    taken = conn.execute(
        update(locks)
        .where(locks.c.pair == pair, locks.c.owner == row.owner)
        .values(owner=owner, acquired_at=now, expires_at=expires_at)
    )
    if taken.rowcount != 1:
        raise PairLockedError(pair, "another run", "unknown")
    if row.owner != owner:
        logger.info("pair %s: took over the stale lease of %s", pair, row.owner)


def renew(
    conn: Connection, pair: str, owner: str, now: datetime, ttl: timedelta
) -> None:
    """Extend the lease; raise PairLockedError if another run has taken it."""
    renewed = conn.execute(
        update(locks)
        .where(locks.c.pair == pair, locks.c.owner == owner)
        .values(expires_at=now + ttl)
    )
    if renewed.rowcount != 1:
        raise PairLockedError(pair, "another run", "unknown")


def release(conn: Connection, pair: str, owner: str) -> None:
    """Give the lease up; a no-op when another run holds it."""
    conn.execute(delete(locks).where(locks.c.pair == pair, locks.c.owner == owner))
