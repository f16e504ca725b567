"""Preflight check: compare a pair's mapping with both orgs' describes.

Each finding is an ``error`` (records will be rejected, so dead-lettered) or a
``warning`` (records land, but maybe not as intended). ``orgbridge check`` exits
1 when any error is found.
"""

from dataclasses import dataclass
from typing import Any

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.sync.pair import PairConfig

ERROR = "error"
WARNING = "warning"

_TEXT = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "combobox",
        "encryptedstring",
    }
)
_NUMBER = frozenset({"double", "currency", "percent", "int", "long"})
_PICKLISTS = frozenset({"picklist", "multipicklist"})


@dataclass(frozen=True)
class Finding:
    """One problem found by the preflight check."""

    severity: str
    org: str
    field: str
    problem: str


def _fields_by_name(describe: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(entry["name"]): entry for entry in describe.get("fields", [])}


def _family(field_type: str) -> str:
    if field_type in _TEXT:
        return "text"
    if field_type in _NUMBER:
        return "number"
    return field_type


def _active_values(entry: dict[str, Any]) -> list[str]:
    return [
        str(value["value"])
        for value in entry.get("picklistValues") or []
        if value.get("active", True)
    ]


def _value_fits(value: object, field_type: str) -> bool:
    family = _family(field_type)
    if family == "text":
        return isinstance(value, str)
    if field_type == "boolean":
        return isinstance(value, bool)
    if family == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


async def check_pair(
    pair: PairConfig, source: SalesforceClient, target: SalesforceClient
) -> list[Finding]:
    """Describe both orgs and return every finding for the pair."""
    source_fields = _fields_by_name(await source.describe(pair.sobject))
    target_fields = _fields_by_name(await target.describe(pair.sobject))
    checker = _Checker(pair, source_fields, target_fields)
    checker.check_fields()
    checker.check_constants()
    checker.check_external_id()
    checker.check_write_back()
    return checker.findings


class _Checker:
    def __init__(
        self,
        pair: PairConfig,
        source_fields: dict[str, dict[str, Any]],
        target_fields: dict[str, dict[str, Any]],
    ) -> None:
        self.pair = pair
        self.source_fields = source_fields
        self.target_fields = target_fields
        self.findings: list[Finding] = []

    def _add(self, severity: str, org: str, field: str, problem: str) -> None:
        self.findings.append(Finding(severity, org, field, problem))

    def _writable_target(self, name: str) -> dict[str, Any] | None:
        entry = self.target_fields.get(name)
        if entry is None:
            self._add(ERROR, self.pair.target, name, "missing in the target")
            return None
        if not entry.get("createable"):
            self._add(ERROR, self.pair.target, name, "not createable")
        if not entry.get("updateable"):
            self._add(
                ERROR, self.pair.target, name, "not updateable (resends update it)"
            )
        return entry

    def check_fields(self) -> None:
        for source_name, target_name in self.pair.fields.items():
            source_entry = self.source_fields.get(source_name)
            if source_entry is None:
                self._add(ERROR, self.pair.source, source_name, "missing in the source")
            target_entry = self._writable_target(target_name)
            if source_entry is None or target_entry is None:
                continue
            self._compare(source_name, source_entry, target_name, target_entry)

    def _compare(
        self,
        source_name: str,
        source_entry: dict[str, Any],
        target_name: str,
        target_entry: dict[str, Any],
    ) -> None:
        source_type = str(source_entry.get("type"))
        target_type = str(target_entry.get("type"))
        if _family(source_type) != _family(target_type):
            self._add(
                ERROR,
                self.pair.target,
                target_name,
                f"type {target_type} does not take the source's {source_type} "
                f"({source_name})",
            )
            return

        source_length = int(source_entry.get("length") or 0)
        target_length = int(target_entry.get("length") or 0)
        mapped_values = target_name in self.pair.value_maps
        if _family(target_type) == "text" and target_length < source_length:
            severity = WARNING if mapped_values else ERROR
            self._add(
                severity,
                self.pair.target,
                target_name,
                f"too short: length {target_length} < source length {source_length} "
                f"({source_name}); longer values are rejected (STRING_TOO_LONG)",
            )

        if source_type in _PICKLISTS and target_type in _PICKLISTS:
            self._compare_picklists(
                source_name, source_entry, target_name, target_entry
            )

    def _compare_picklists(
        self,
        source_name: str,
        source_entry: dict[str, Any],
        target_name: str,
        target_entry: dict[str, Any],
    ) -> None:
        value_map = self.pair.value_maps.get(target_name, {})
        target_values = set(_active_values(target_entry))
        restricted = bool(target_entry.get("restrictedPicklist"))

        for value in _active_values(source_entry):
            sent = value_map.get(value, value)
            if sent is None or sent in target_values:
                continue
            via = f" (mapped to {sent!r})" if value in value_map else ""
            if restricted:
                self._add(
                    ERROR,
                    self.pair.target,
                    target_name,
                    f"source value {value!r}{via} of {source_name} is not in the "
                    "target's restricted picklist: such Cases are rejected; add a "
                    f"value_maps.{target_name} entry",
                )
            else:
                self._add(
                    WARNING,
                    self.pair.target,
                    target_name,
                    f"source value {value!r}{via} of {source_name} is not among the "
                    "target's values; the picklist is not restricted, so it is saved "
                    "as is",
                )

    def check_constants(self) -> None:
        settings = {**self.pair.defaults, **self.pair.constants}
        for name, value in settings.items():
            entry = self._writable_target(name)
            if entry is None:
                continue
            field_type = str(entry.get("type"))
            fits = _value_fits(value, field_type)
            if not fits:
                self._add(
                    ERROR,
                    self.pair.target,
                    name,
                    f"constant or default {value!r} does not fit a {field_type} field",
                )

    def check_external_id(self) -> None:
        name = self.pair.external_id_field
        entry = self.target_fields.get(name)
        org = self.pair.target
        if entry is None:
            self._add(
                ERROR,
                org,
                name,
                "external-ID field missing: create it as Text(18), External ID, "
                "Unique, case-sensitive",
            )
            return
        if not entry.get("externalId"):
            self._add(ERROR, org, name, "not marked External ID")
        if not entry.get("unique"):
            self._add(ERROR, org, name, "not Unique: a resend could not match one Case")
        if entry.get("type") != "string" or int(entry.get("length") or 0) < 18:
            self._add(ERROR, org, name, "must be Text with length >= 18")
        if not entry.get("caseSensitive"):
            self._add(
                WARNING,
                org,
                name,
                "not case-sensitive: 15-character Ids differing only in case "
                "would match each other",
            )

    def check_write_back(self) -> None:
        write_back = self.pair.write_back
        if write_back is None:
            return
        entry = self.source_fields.get(write_back.field)
        org = self.pair.source
        if entry is None:
            self._add(ERROR, org, write_back.field, "write-back field missing")
            return
        if not entry.get("updateable"):
            self._add(ERROR, org, write_back.field, "write-back field not updateable")
        needed = 18 if write_back.value == "Id" else 30
        if (
            _family(str(entry.get("type"))) != "text"
            or int(entry.get("length") or 0) < needed
        ):
            self._add(
                ERROR,
                org,
                write_back.field,
                f"write-back of {write_back.value} needs a Text field of length "
                f">= {needed}",
            )
