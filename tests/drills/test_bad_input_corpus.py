"""The bad-input corpus, run end to end through the sync engine on two emulated orgs.

Each file in corpus/records/ is one kind of awkward or invalid Case: its source
field values in Org A and what must happen to each one, either landing in Org B
with the values intact or being dead-lettered with the org's errorCode and field.
The kinds run in three syncs, one per group, since one pair maps one way:

- ``main``: a plain pair, so B judges every value;
- ``typed``: a pair with defaults, so the engine reads B's describe and the mapper
  rejects values of the wrong type before any API call (``MAPPING_ERROR``);
- ``read_only``: a pair that maps a field B does not let anyone write.

String values may use ``$A_CONTACT_ID``, ``$B_CASE_ID`` and ``$B_USER_ID``, and
``{"$repeat": [text, n]}`` for long values.
"""

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from orgbridge.salesforce.client import RecordResult, SalesforceClient
from orgbridge.salesforce.datetimes import format_datetime
from orgbridge.state import StateStore
from orgbridge.state.records import DeadLetter
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.pair import PairConfig, parse_pair_config
from orgbridge.sync.report import RunReport
from sync.conftest import Orgs

CORPUS = Path(__file__).parent / "corpus" / "records"
MAIN_FIELDS = {
    "Subject": "Subject",
    "Description": "Description",
    "Status": "Status",
    "Origin": "Origin",
    "SuppliedName": "SuppliedName",
    "Product_Code__c": "Product_Code__c",
    "Contact_Email__c": "SuppliedEmail",
    "Region__c": "Region__c",
    "Ticket_Ref__c": "Ticket_Ref__c",
    "Due_Text__c": "Due_Date__c",
    "Amount_Text__c": "Amount__c",
    "Score__c": "Score_Text__c",
    "Parent_Ref__c": "ParentId",
    "ContactId": "ContactId",
}
PAIRS: dict[str, dict[str, Any]] = {
    "main": {
        "fields": MAIN_FIELDS,
        "value_maps": {"Origin": {"Fax": "Web\u0000"}, "Region__c": {"NONE": ""}},
    },
    "typed": {"fields": MAIN_FIELDS, "defaults": {"Origin": "Web"}},
    "read_only": {
        "fields": {"Subject": "Subject", "Phone_Text__c": "ContactPhone"},
    },
}
BASE_SOURCE = {"Subject": "Drill case", "Status": "New", "Region__c": "EMEA"}


def load_corpus() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text("utf-8")) for path in sorted(CORPUS.glob("*.json"))
    ]


def resolve(value: Any, names: dict[str, str]) -> Any:
    """Expand ``$NAME`` placeholders and ``{"$repeat": [text, n]}`` in a value."""
    if isinstance(value, dict) and "$repeat" in value:
        text, count = value["$repeat"]
        return str(text) * int(count)
    if isinstance(value, str) and value.startswith("$"):
        return names[value[1:]]
    return value


class CorpusRun:
    """Creates a group's Cases in A, syncs them, and checks each one's outcome."""

    def __init__(self, orgs: Orgs, a: SalesforceClient, b: SalesforceClient) -> None:
        self.orgs = orgs
        self.a = a
        self.b = b
        self.names: dict[str, str] = {}
        # kind -> [(source Id, source values, expectation)] in creation order
        self.created: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
        self.delete_before_send: set[str] = set()

    async def set_up_orgs(self) -> None:
        self.names["A_CONTACT_ID"] = await self.a.create(
            "Contact", {"LastName": "Only-in-A"}
        )
        self.names["B_CASE_ID"] = await self.b.create(
            "Case",
            {
                "Subject": "Held by B",
                "Region__c": "EMEA",
                "Ticket_Ref__c": "TKT-EXISTING",
            },
        )
        self.names["B_USER_ID"] = self.orgs.b.config.users[0].user_id

    async def create_group(self, kinds: list[dict[str, Any]]) -> None:
        entries = []
        for kind in kinds:
            for record in kind["records"]:
                source = {**BASE_SOURCE, **record["source"]}
                source = {
                    name: resolve(value, self.names)
                    for name, value in source.items()
                    if value is not None
                }
                entries.append((kind, source, record["expect"]))

        results = await self.a.create_many("Case", [source for _, source, _ in entries])
        for (kind, source, expect), result in zip(entries, results, strict=True):
            assert result.success, (kind["kind"], result.errors)
            source_id = str(result.id)
            self.created.setdefault(kind["kind"], []).append(
                (source_id, source, expect)
            )
            await self.apply_action(kind.get("action"), source_id)

    async def apply_action(self, action: str | None, source_id: str) -> None:
        if action == "stale_copy_in_target":
            await self.b.create(
                "Case",
                {
                    "Subject": "Stale copy",
                    "Region__c": "APAC",
                    "Source_Case_Id__c": source_id,
                },
            )
        elif action == "delete_source_before_send":
            self.delete_before_send.add(source_id)
        else:
            assert action is None, f"unknown corpus action {action!r}"

    def delete_sources_before_upsert(self) -> None:
        """Make B's upsert delete the marked source Cases in A first."""
        upsert_many = self.b.upsert_many

        async def deleting_upsert_many(
            sobject: str,
            external_id_field: str,
            records: Sequence[dict[str, Any]],
            **options: Any,
        ) -> list[RecordResult]:
            for record in records:
                if record[external_id_field] in self.delete_before_send:
                    await self.a.delete("Case", record[external_id_field])
            return await upsert_many(sobject, external_id_field, records, **options)

        self.b.upsert_many = deleting_upsert_many  # type: ignore[method-assign]

    async def sync(self, group: str, start: str | None) -> RunReport:
        table = {"source": "a", "target": "b", **PAIRS[group]}
        if start is not None:
            table["start"] = start
        pair: PairConfig = parse_pair_config(group, table, {"a", "b"})
        with StateStore(self.orgs.state_url) as state:
            return await SyncEngine(pair, self.a, self.b, state).run()

    def dead_letters(self, group: str) -> dict[str, DeadLetter]:
        with StateStore(self.orgs.state_url) as state:
            return {letter.source_id: letter for letter in state.dead_letters(group)}

    async def target_rows(self) -> list[dict[str, Any]]:
        fields = ", ".join(
            ["Id", "Source_Case_Id__c", *sorted(set(MAIN_FIELDS.values()))]
        )
        return [row async for row in self.b.query_records(f"SELECT {fields} FROM Case")]


def check_kind(
    kind: str,
    records: list[tuple[str, dict[str, Any], dict[str, Any]]],
    fields: dict[str, str],
    letters: dict[str, DeadLetter],
    copies: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """Return what went wrong for one corpus kind (an empty list when all is well)."""
    problems: list[str] = []
    for source_id, source, expect in records:
        letter = letters.get(source_id)
        landed = copies.get(source_id, [])
        if "dead_letter" in expect:
            wanted = expect["dead_letter"]
            codes = wanted.get("error_code_one_of", [wanted.get("error_code")])
            if letter is None:
                problems.append(f"{kind}: {source_id} not dead-lettered")
                continue
            if letter.error_code not in codes:
                problems.append(f"{kind}: errorCode {letter.error_code}, want {codes}")
            if "fields" in wanted and letter.fields != wanted["fields"]:
                problems.append(
                    f"{kind}: fields {letter.fields}, want {wanted['fields']}"
                )
            if not letter.message:
                problems.append(f"{kind}: dead letter without a message")
            if landed:
                problems.append(f"{kind}: dead-lettered but also in B")
            continue

        if letter is not None:
            problems.append(
                f"{kind}: dead-lettered {letter.error_code} {letter.message}"
            )
        if len(landed) != 1:
            problems.append(f"{kind}: {len(landed)} copies in B, want 1")
            continue
        wanted_values = {
            target: source[name] for name, target in fields.items() if name in source
        }
        wanted_values.update(expect["lands"])
        for target, value in wanted_values.items():
            if landed[0].get(target) != value:
                got = repr(landed[0].get(target))[:80]
                problems.append(f"{kind}: {target} is {got}, want {repr(value)[:80]}")
    return problems


def test_corpus_has_at_least_30_kinds() -> None:
    corpus = load_corpus()
    assert len({kind["kind"] for kind in corpus}) >= 30
    assert {kind["group"] for kind in corpus} == set(PAIRS)


async def test_bad_input_corpus_end_to_end(drill_orgs: Orgs) -> None:
    corpus = load_corpus()
    groups = {group: [k for k in corpus if k["group"] == group] for group in PAIRS}

    async with drill_orgs.client("a") as a, drill_orgs.client("b") as b:
        run = CorpusRun(drill_orgs, a, b)
        await run.set_up_orgs()
        run.delete_sources_before_upsert()
        reports: dict[str, RunReport] = {}
        start: str | None = None
        # Each group's Cases are created an hour after the last sync, and its pair
        # starts there, so no pair reads another group's Cases.
        for group, kinds in groups.items():
            await run.create_group(kinds)
            reports[group] = await run.sync(group, start)
            drill_orgs.clock.now += timedelta(hours=1)
            start = format_datetime(drill_orgs.clock.now)
        rows = await run.target_rows()
        remaining = {row["Id"] async for row in a.query_records("SELECT Id FROM Case")}

    copies: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        copies.setdefault(row["Source_Case_Id__c"], []).append(row)
    problems: list[str] = []
    for group, kinds in groups.items():
        letters = run.dead_letters(group)
        for kind in kinds:
            problems += check_kind(
                kind["kind"],
                run.created[kind["kind"]],
                PAIRS[group]["fields"],
                letters,
                copies,
            )
    assert not problems, "\n".join(problems)

    expected_letters = sum(
        "dead_letter" in record["expect"]
        for kind in corpus
        for record in kind["records"]
    )
    assert sum(r.counts.dead_lettered for r in reports.values()) == expected_letters
    # The Case deleted mid-run is gone from A, and its copy stays in B.
    assert not run.delete_before_send & remaining
    # Only the Case B held before the sync has no source Id.
    assert len(copies.pop(None)) == 1
    # A mapping error costs no upsert call: the typed group sends its one good Case.
    assert reports["typed"].counts.sent == 1
