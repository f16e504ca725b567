"""sObject Collections: a failed record leaves nothing behind, the others commit."""

from datetime import UTC, datetime
from typing import Any

import pytest

from orgbridge.emulator.config import (
    CustomFieldConfig,
    FaultConfig,
    OrgConfig,
    UserConfig,
)
from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.rest import dispatch
from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.emulator.schema import SObjectSchema
from orgbridge.salesforce.ids import make_id

USER_ID = make_id("005", "A0", 1)


@pytest.fixture
def runtime() -> OrgRuntime:
    config = OrgConfig(
        users=(UserConfig(username="admin@atomic.example", user_id=USER_ID),),
        custom_fields=(
            CustomFieldConfig(
                sobject="Case",
                name="Source_Case_Id__c",
                length=18,
                external_id=True,
                unique=True,
                case_sensitive=True,
            ),
        ),
    )
    return open_org(config, clock=lambda: datetime(2024, 3, 1, 9, tzinfo=UTC))


def _send(runtime: OrgRuntime, method: str, path: str, body: Any) -> Any:
    call = Call(
        runtime=runtime,
        api_version="62.0",
        user=runtime.config.users[0],
        instance_url="https://127.0.0.1",
        method=method,
        path=path,
        params={},
        headers={},
        body=body,
    )
    result = dispatch(call)
    assert result.status == 200
    return result.body


def _cases(*records: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"attributes": {"type": "Case"}, **fields} for fields in records]


def _case_numbers(runtime: OrgRuntime) -> list[str]:
    rows = runtime.db.execute('SELECT "CaseNumber" FROM "Case" ORDER BY "Id"')
    return [str(row[0]) for row in rows]


def _fail_after_comment_insert(
    runtime: OrgRuntime, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    """Make the store fail right after it inserts a CaseComment with ``body``.

    Every store check runs before its writes, so only an injected failure can
    come after a write has happened.
    """
    store = runtime.store
    insert = store._insert

    def failing_insert(schema: SObjectSchema, values: dict[str, Any]) -> None:
        insert(schema, values)
        if values.get("CommentBody") == body:
            raise RecordError(400, "UNKNOWN_EXCEPTION", "injected failure", [])

    monkeypatch.setattr(store, "_insert", failing_insert)


def test_late_failure_leaves_no_case(
    runtime: OrgRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_after_comment_insert(runtime, monkeypatch, "fails")
    records = _cases(
        {"Subject": "first"},
        {"Subject": "second", "Comments": "fails"},
        {"Subject": "third", "Comments": "Called back"},
    )

    results = _send(
        runtime, "POST", "composite/sobjects", {"allOrNone": False, "records": records}
    )

    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "UNKNOWN_EXCEPTION"
    assert runtime.store.count("Case") == 2
    assert runtime.store.count("CaseComment") == 1
    assert _case_numbers(runtime) == ["00001000", "00001001"]
    assert runtime.store.records_written == 3


def test_failed_upsert_leaves_no_case(
    runtime: OrgRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_after_comment_insert(runtime, monkeypatch, "fails")
    records = _cases(
        {"Source_Case_Id__c": "S-1", "Subject": "new"},
        {"Source_Case_Id__c": "S-2", "Comments": "fails"},
        {"Source_Case_Id__c": "S-1", "Subject": "updated"},
    )

    results = _send(
        runtime,
        "PATCH",
        "composite/sobjects/Case/Source_Case_Id__c",
        {"allOrNone": False, "records": records},
    )

    assert [r["success"] for r in results] == [True, False, True]
    assert results[0]["created"] is True
    assert results[2]["created"] is False
    assert results[2]["id"] == results[0]["id"]
    assert runtime.store.count("Case") == 1
    assert runtime.store.find_by_external_id("Case", "Source_Case_Id__c", "S-2") == []


def test_lock_fault_writes_nothing(runtime: OrgRuntime) -> None:
    runtime.faults.configure(FaultConfig(unable_to_lock_row_rate=1.0))
    records = _cases({"Subject": "one"}, {"Subject": "two"})

    results = _send(
        runtime, "POST", "composite/sobjects", {"allOrNone": False, "records": records}
    )

    assert [r["errors"][0]["statusCode"] for r in results] == [
        "UNABLE_TO_LOCK_ROW",
        "UNABLE_TO_LOCK_ROW",
    ]
    assert runtime.store.count("Case") == 0
    assert runtime.store.records_written == 0
