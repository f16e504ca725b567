"""StateStore on real databases: migrations, batches, cursor, leases.

Every test that takes ``state_url`` runs on SQLite and, when
ORGBRIDGE_TEST_POSTGRES_URL is set, on PostgreSQL (see conftest.py).
"""

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from orgbridge.state import (
    CursorPosition,
    FailedRecord,
    PairLockedError,
    PairOrgsChangedError,
    RunCounts,
    StateStore,
    StateUrlError,
    SyncedRecord,
)
from orgbridge.state.schema import metadata, pairs

TS1 = "2024-01-01T10:00:00.000+0000"
TS2 = "2024-01-01T10:00:01.000+0000"


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    state = StateStore(state_url)
    state.ensure_pair("a_to_b", "a", "b", "Case")
    yield state
    state.close()


def synced(source_id: str, modstamp: str = TS1) -> SyncedRecord:
    return SyncedRecord(source_id, "500B" + source_id[4:], modstamp, "h", True)


def failed(source_id: str, code: str = "STRING_TOO_LONG") -> FailedRecord:
    return FailedRecord(source_id, TS1, code, "too long", ["Subject"], {"Subject": "x"})


def test_migrations_create_schema_on_fresh_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.sqlite"
    StateStore(f"sqlite:///{path}").close()

    tables = set(inspect(StateStore(f"sqlite:///{path}").engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_are_idempotent(state_url: str) -> None:
    first = StateStore(state_url)
    first.ensure_pair("p", "a", "b", "Case")
    first.record_batch("p", [synced("500A00000000001AAA")], [], None)
    first.migrate()
    first.close()

    with StateStore(state_url) as reopened:
        assert reopened.links("p", ["500A00000000001AAA"])
        with reopened.begin() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version"))
            assert versions.all() == [("0001",)]


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    StateStore(f"sqlite:///{tmp_path}/state.sqlite").close()
    with sqlite3.connect(tmp_path / "state.sqlite") as raw:
        mode = raw.execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


def test_invalid_url_raises_state_url_error() -> None:
    with pytest.raises(StateUrlError, match="invalid state URL"):
        StateStore("not a url")


def test_missing_driver_names_extra() -> None:
    with pytest.raises(StateUrlError):
        StateStore("nosuchdialect://localhost/db")


def test_record_batch_stores_links_and_cursor(store: StateStore) -> None:
    cursor = CursorPosition(TS1, "500A00000000002AAA")
    store.record_batch(
        "a_to_b",
        [synced("500A00000000001AAA")],
        [failed("500A00000000002AAA")],
        cursor,
    )

    assert store.cursor("a_to_b") == cursor
    links = store.links("a_to_b", ["500A00000000001AAA", "500A00000000002AAA"])
    assert list(links) == ["500A00000000001AAA"]
    letters = store.dead_letters("a_to_b")
    assert [letter.source_id for letter in letters] == ["500A00000000002AAA"]
    assert letters[0].fields == ["Subject"]
    assert letters[0].payload == {"Subject": "x"}


def test_cursor_never_moves_back(store: StateStore) -> None:
    store.record_batch("a_to_b", [], [], CursorPosition(TS2, "500A00000000001AAA"))
    store.record_batch("a_to_b", [], [], CursorPosition(TS1, "500A00000000009AAA"))
    assert store.cursor("a_to_b") == CursorPosition(TS2, "500A00000000001AAA")

    store.record_batch("a_to_b", [], [], CursorPosition(TS2, "500A00000000002AAA"))
    assert store.cursor("a_to_b") == CursorPosition(TS2, "500A00000000002AAA")


def test_failed_batch_leaves_state_unchanged(store: StateStore) -> None:
    bad = SyncedRecord("500A00000000001AAA", None, TS1, "h", True)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError, match=r"(?i)not.null"):
        store.record_batch(
            "a_to_b",
            [synced("500A00000000002AAA"), bad],
            [],
            CursorPosition(TS1, "500A00000000002AAA"),
        )

    assert store.cursor("a_to_b") is None
    assert store.links("a_to_b", ["500A00000000002AAA"]) == {}


def test_repeat_failure_counts_attempts(store: StateStore) -> None:
    store.record_batch("a_to_b", [], [failed("500A00000000001AAA")], None)
    store.record_batch("a_to_b", [], [failed("500A00000000001AAA", "X")], None)

    letters = store.dead_letters("a_to_b")
    assert len(letters) == 1
    assert letters[0].attempts == 2
    assert letters[0].error_code == "X"


def test_success_resolves_dead_letter(store: StateStore) -> None:
    store.record_batch("a_to_b", [], [failed("500A00000000001AAA")], None)
    store.record_batch("a_to_b", [synced("500A00000000001AAA")], [], None)

    assert store.dead_letters("a_to_b") == []
    resolved = store.dead_letters("a_to_b", status="resolved")
    assert [letter.source_id for letter in resolved] == ["500A00000000001AAA"]
    assert resolved[0].resolved_at is not None


def test_discard_dead_letters(store: StateStore) -> None:
    store.record_batch(
        "a_to_b", [], [failed("500A00000000001AAA"), failed("500A00000000002AAA")], None
    )
    changed = store.set_dead_letter_status(
        "a_to_b", ["500A00000000001AAA"], "discarded"
    )

    assert changed == 1
    assert [d.source_id for d in store.dead_letters("a_to_b")] == ["500A00000000002AAA"]
    assert dict(store.iter_open_dead_letter_counts()) == {"a_to_b": 1}


def test_run_history_round_trip(store: StateStore) -> None:
    cursor_from = CursorPosition(TS1, "500A00000000001AAA")
    run_id = store.start_run("a_to_b", "run", cursor_from)
    store.finish_run(
        run_id,
        "succeeded",
        RunCounts(read=3, sent=2, created=2, skipped=1, source_api_calls=1),
        CursorPosition(TS2, "500A00000000003AAA"),
    )

    (run,) = store.recent_runs("a_to_b")
    assert run.status == "succeeded"
    assert run.counts.read == 3
    assert run.counts.created == 2
    assert run.cursor_from == cursor_from
    assert run.cursor_to == CursorPosition(TS2, "500A00000000003AAA")
    assert run.finished_at is not None
    assert run.started_at.tzinfo is not None


def test_lease_blocks_second_owner(store: StateStore) -> None:
    store.acquire_lease("a_to_b", "host:1:one")
    with pytest.raises(PairLockedError, match="locked by another run"):
        store.acquire_lease("a_to_b", "otherhost:2:two")

    store.release_lease("a_to_b", "host:1:one")
    store.acquire_lease("a_to_b", "otherhost:2:two")


def test_expired_lease_is_taken_over(state_url: str) -> None:
    now = [datetime(2024, 1, 1, tzinfo=UTC)]
    store = StateStore(state_url, clock=lambda: now[0])
    store.acquire_lease("p", "otherhost:2:two", ttl=timedelta(seconds=60))

    now[0] += timedelta(seconds=61)
    store.acquire_lease("p", "host:1:one")
    with pytest.raises(PairLockedError):
        store.renew_lease("p", "otherhost:2:two")


def test_lease_of_dead_local_process_is_taken_over(store: StateStore) -> None:
    import socket

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    store.acquire_lease("a_to_b", f"{socket.gethostname()}:{dead_pid}:gone")

    store.acquire_lease("a_to_b", "host:1:new")
    with pytest.raises(PairLockedError):
        store.acquire_lease("a_to_b", "host:2:other")


def test_lease_race_lost_on_insert(state_url: str) -> None:
    """A run whose lease INSERT loses to another run's raises PairLockedError."""
    store = StateStore(state_url)
    store.ensure_pair("a_to_b", "a", "b", "Case")
    rival = StateStore(state_url)

    rival_inserted: list[bool] = []

    def insert_rival_first(
        _conn: object, _cursor: object, statement: str, *_args: object
    ) -> None:
        if rival_inserted or not statement.upper().startswith("INSERT INTO LOCKS"):
            return
        rival_inserted.append(True)
        rival.acquire_lease("a_to_b", "otherhost:2:rival")

    event.listen(store.engine, "before_cursor_execute", insert_rival_first)
    try:
        with pytest.raises(PairLockedError, match="otherhost:2:rival"):
            store.acquire_lease("a_to_b", "host:1:loser")
        assert rival_inserted == [True]
    finally:
        store.close()
        rival.close()


def test_record_batch_updates_existing_link(store: StateStore) -> None:
    source_id = "500A00000000001AAA"
    store.record_batch("a_to_b", [synced(source_id)], [], None)
    newer = SyncedRecord(source_id, "500B00000000009AAA", TS2, "h2", False)
    store.record_batch("a_to_b", [synced(source_id, TS1), newer], [], None)

    link = store.links("a_to_b", [source_id])[source_id]
    assert link.target_id == "500B00000000009AAA"
    assert link.source_modstamp == TS2
    assert link.payload_hash == "h2"


def test_ensure_pair_rejects_other_orgs(store: StateStore) -> None:
    with pytest.raises(PairOrgsChangedError) as caught:
        store.ensure_pair("a_to_b", "a", "b2", "Case")
    assert "orgs a -> b" in str(caught.value)
    assert "new name" in str(caught.value)

    with pytest.raises(PairOrgsChangedError):
        store.ensure_pair("a_to_b", "a2", "b", "Case")

    store.ensure_pair("a_to_b", "a", "b", "Case")
    with store.begin() as conn:
        row = conn.execute(select(pairs).where(pairs.c.name == "a_to_b")).one()
    assert (row.source_org, row.target_org) == ("a", "b")
    assert row.created_at is not None


def test_abandon_stale_runs_closes_running_rows(store: StateStore) -> None:
    stale = store.start_run("a_to_b", "run", None)
    finished = store.start_run("a_to_b", "run", None)
    store.finish_run(finished, "succeeded", RunCounts(), None)

    assert store.abandon_stale_runs("a_to_b") == [stale]
    assert store.abandon_stale_runs("a_to_b") == []

    runs = {run.id: run for run in store.recent_runs("a_to_b")}
    assert runs[stale].status == "abandoned"
    assert runs[stale].finished_at is not None
    assert runs[stale].error is not None
    assert runs[finished].status == "succeeded"


def test_batch_stores_counts_and_lease(
    store: StateStore,
) -> None:
    store.acquire_lease("a_to_b", "host:1:one")
    run_id = store.start_run("a_to_b", "run", None)
    commits: list[object] = []
    event.listen(store.engine, "commit", commits.append)

    store.record_batch(
        "a_to_b",
        [synced("500A00000000001AAA")],
        [],
        CursorPosition(TS1, "500A00000000001AAA"),
        run=(run_id, RunCounts(read=1, sent=1, created=1)),
        lease_owner="host:1:one",
    )

    assert len(commits) == 1
    (run,) = store.recent_runs("a_to_b")
    assert (run.counts.read, run.counts.created) == (1, 1)
    assert store.links("a_to_b", ["500A00000000001AAA"])


def test_batch_after_lost_lease_stores_nothing(
    store: StateStore,
) -> None:
    store.acquire_lease("a_to_b", "otherhost:2:two")
    run_id = store.start_run("a_to_b", "run", None)

    with pytest.raises(PairLockedError):
        store.record_batch(
            "a_to_b",
            [synced("500A00000000001AAA")],
            [],
            CursorPosition(TS1, "500A00000000001AAA"),
            run=(run_id, RunCounts(read=1, sent=1, created=1)),
            lease_owner="host:1:one",
        )

    # The lease holder owns the cursor: the batch is resent (an idempotent upsert)
    # by whichever run holds the lease next.
    assert store.cursor("a_to_b") is None
    assert store.links("a_to_b", ["500A00000000001AAA"]) == {}
    (run,) = store.recent_runs("a_to_b")
    assert run.counts.read == 0
