"""A small org filled with plain SQL inserts, for the SOQL engine's tests.

Rows follow the emulator's storage convention (booleans 0/1, datetimes as REST
text in UTC). The clock is fixed at 2024-03-10T06:30:00Z, which is still
2024-03-09 22:30 in America/Los_Angeles, the night before its daylight saving
time change, so TODAY differs between time zones and TOMORROW has 23 hours there.
"""

import sqlite3
from datetime import UTC, datetime
from typing import Any

from orgbridge.emulator.config import quick_org_config
from orgbridge.emulator.schema import OrgSchema, build_org_schema
from orgbridge.emulator.soql import SoqlEngine
from orgbridge.salesforce.ids import make_id

NOW = datetime(2024, 3, 10, 6, 30, tzinfo=UTC)
PREFIXES = {"case": "500", "account": "001", "contact": "003", "user": "005",
            "queue": "00G", "comment": "00a"}  # fmt: skip


def record_id(label: str) -> str:
    """Return the 18-character Id of a labelled record, such as case3 or user1."""
    kind = label.rstrip("0123456789")
    return make_id(PREFIXES[kind], "A0", int(label[len(kind) :]))


def _ts(text: str) -> str:
    return text.replace("Z", "") + (".000+0000" if "." not in text else "+0000")


USERS = {
    "user1": {"Name": "Ada Admin", "FirstName": "Ada", "LastName": "Admin",
              "Username": "ada@example.com", "Email": "ada@example.com",
              "IsActive": 1},
    "user2": {"Name": "Bob Agent", "FirstName": "Bob", "LastName": "Agent",
              "Username": "bob@example.com", "Email": "bob@example.com",
              "IsActive": 0},
}  # fmt: skip
QUEUES = {"queue1": {"Name": "Tier 2", "DeveloperName": "Tier_2", "Type": "Queue"}}
ACCOUNTS = {
    "account1": {"Name": "Acme", "Industry": "Energy", "NumberOfEmployees": 100,
                 "AnnualRevenue": 1500000.5, "LastActivityDate": "2024-03-09",
                 "OwnerId": "user1"},
    "account2": {"Name": "Globex", "ParentId": "account1", "AnnualRevenue": 20.0,
                 "LastActivityDate": "2024-03-10", "OwnerId": "user2"},
}  # fmt: skip
CONTACTS = {
    "contact1": {"FirstName": "Ada", "LastName": "Lovelace", "Name": "Ada Lovelace",
                 "AccountId": "account1", "Birthdate": "1990-05-01",
                 "OwnerId": "user1"},
}  # fmt: skip
# label: (Subject, Status, Priority, account, owner, created, escalated, deleted)
CASES: dict[str, tuple[Any, ...]] = {
    "case1": ("Printer on fire", "New", "High", "account1", "user1",
              "2024-03-10T05:00:00Z", 1, 0),
    "case2": ("printer jam", "Working", "Medium", "account1", "queue1",
              "2024-03-09T07:59:59.999Z", 0, 0),
    "case3": ("O'Brien's laptop", "Closed", "Low", "account2", "user2",
              "2024-03-09T08:00:00Z", 0, 0),
    "case4": ("100% broken", "New", "High", "account2", "user1",
              "2024-03-10T07:59:00Z", 0, 0),
    "case5": ("under_score", "New", "Low", None, "user2",
              "2024-03-10T08:00:00Z", 0, 0),
    "case6": ("Back\\slash", "Working", "Medium", "account1", "user1",
              "2024-03-11T06:59:59Z", 0, 0),
    "case7": ("Line\nbreak", "New", None, "account2", "queue1",
              "2024-03-11T07:00:00Z", 0, 0),
    "case8": ("Old printer", "Closed", "Low", "account1", "user1",
              "2023-12-15T12:00:00Z", 0, 0),
    "case9": ("January case", "Working", "High", "account2", "user2",
              "2024-01-31T12:00:00Z", 0, 0),
    "case10": ("Weekend case", "New", "Medium", "account1", "user1",
               "2024-03-03T10:00:00Z", 0, 0),
    "case11": ("Deleted printer", "New", "High", "account1", "user1",
               "2024-03-01T10:00:00Z", 0, 1),
    "case12": (None, "New", "Low", None, "user1", "2022-06-01T00:00:00Z", 0, 0),
}  # fmt: skip
# label: (case, body, published, created, deleted)
COMMENTS = {
    "comment1": ("case1", "First", 1, "2024-03-10T05:10:00Z", 0),
    "comment2": ("case1", "Zeroth", 1, "2024-03-10T05:05:00Z", 0),
    "comment3": ("case1", "Internal", 0, "2024-03-10T05:20:00Z", 0),
    "comment4": ("case2", "Only", 1, "2024-03-09T09:00:00Z", 0),
    "comment5": ("case1", "Removed", 1, "2024-03-10T05:30:00Z", 1),
}


def insert(db: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """Insert one row with bound values; column names come from the test data."""
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    db.execute(
        f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(values.values())
    )


def _with_ids(values: dict[str, Any]) -> dict[str, Any]:
    reference_fields = ("ParentId", "OwnerId", "AccountId", "ContactId")
    return {
        key: record_id(value) if key in reference_fields and value else value
        for key, value in values.items()
    }


def _audit(created: str, user: str = "user1") -> dict[str, Any]:
    return {"CreatedDate": _ts(created), "LastModifiedDate": _ts(created),
            "SystemModstamp": _ts(created), "CreatedById": record_id(user),
            "LastModifiedById": record_id(user)}  # fmt: skip


def fill(db: sqlite3.Connection) -> None:
    """Insert the users, queue, accounts, contact, cases and comments."""
    for label, values in USERS.items():
        insert(db, "User", {"Id": record_id(label), **values,
                            **_audit("2020-01-01T00:00:00Z")})  # fmt: skip
    for label, values in QUEUES.items():
        insert(db, "Group", {"Id": record_id(label), **values})
    for label, values in ACCOUNTS.items():
        insert(db, "Account", {"Id": record_id(label), "IsDeleted": 0,
                               **_with_ids(values),
                               **_audit("2021-01-01T00:00:00Z")})  # fmt: skip
    for label, values in CONTACTS.items():
        insert(db, "Contact", {"Id": record_id(label), "IsDeleted": 0,
                               **_with_ids(values),
                               **_audit("2021-01-01T00:00:00Z")})  # fmt: skip
    for number, (label, row) in enumerate(CASES.items()):
        subject, status, priority, account, owner, created, escalated, deleted = row
        values = {
            "Id": record_id(label), "CaseNumber": f"{1001 + number:08d}",
            "Subject": subject, "Status": status, "Priority": priority,
            "AccountId": account, "OwnerId": owner, "IsEscalated": escalated,
            "IsDeleted": deleted, "IsClosed": int(status == "Closed"),
            "ContactId": "contact1" if label == "case1" else None,
        }  # fmt: skip
        creator = "user2" if label == "case3" else "user1"
        insert(db, "Case", {**_with_ids(values), **_audit(created, creator)})
    for label, (case, body, published, created, deleted) in COMMENTS.items():
        insert(db, "CaseComment", {"Id": record_id(label), "ParentId": record_id(case),
                                   "CommentBody": body, "IsPublished": published,
                                   "IsDeleted": deleted,
                                   **_audit(created)})  # fmt: skip


def open_org(
    *, clock: datetime = NOW, filled: bool = True
) -> tuple[sqlite3.Connection, OrgSchema, SoqlEngine]:
    """Create an in-memory org database and a SOQL engine over it."""
    schema = build_org_schema(quick_org_config())
    db = sqlite3.connect(":memory:", isolation_level=None)
    for statement in schema.ddl():
        db.execute(statement)
    if filled:
        fill(db)
    engine = SoqlEngine(db, schema, clock=lambda: clock)
    engine.initialize()
    return db, schema, engine
