"""Pair config: which Cases go from which org to which, and how they are mapped.

One ``[pairs.NAME]`` TOML table per pair; docs/configuration.md lists every key.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from orgbridge.salesforce.datetimes import parse_datetime
from orgbridge.sync.errors import PairConfigError

Scalar = str | int | float | bool
Mode = Literal["created", "changes"]

DEFAULT_EXTERNAL_ID_FIELD = "Source_Case_Id__c"
DEFAULT_FIELDS = (
    "Subject",
    "Description",
    "Status",
    "Origin",
    "Priority",
    "Type",
    "Reason",
    "SuppliedName",
    "SuppliedEmail",
    "SuppliedPhone",
    "SuppliedCompany",
)
MAX_BATCH_SIZE = 200
CURSOR_FIELDS: dict[str, str] = {"created": "CreatedDate", "changes": "SystemModstamp"}

_KEYS = frozenset(
    {
        "source",
        "target",
        "object",
        "mode",
        "fields",
        "constants",
        "defaults",
        "value_maps",
        "external_id_field",
        "write_back",
        "start",
        "lookback_seconds",
        "batch_size",
        "query_batch_size",
        "min_api_share",
        "concurrency",
    }
)
# Fields that Salesforce sets itself; writing them fails for every record.
_SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "IsDeleted",
        "CaseNumber",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "IsClosed",
        "ClosedDate",
    }
)


@dataclass(frozen=True)
class WriteBack:
    """Write the target's Id or CaseNumber to a field of the source Case."""

    field: str
    value: Literal["Id", "CaseNumber"] = "Id"


@dataclass(frozen=True)
class PairConfig:
    """One source org -> target org route for an sObject, with its mapping."""

    name: str
    source: str
    target: str
    sobject: str = "Case"
    mode: Mode = "created"
    fields: dict[str, str] = field(
        default_factory=lambda: {f: f for f in DEFAULT_FIELDS}
    )
    constants: dict[str, Scalar] = field(default_factory=dict)
    defaults: dict[str, Scalar] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str | None]] = field(default_factory=dict)
    external_id_field: str = DEFAULT_EXTERNAL_ID_FIELD
    write_back: WriteBack | None = None
    start: datetime | None = None
    lookback_seconds: int = 300
    batch_size: int = MAX_BATCH_SIZE
    query_batch_size: int = 2000
    min_api_share: float = 0.10
    concurrency: int = 4

    @property
    def cursor_field(self) -> str:
        """The field the detection query orders on and the cursor follows."""
        return CURSOR_FIELDS[self.mode]

    @property
    def target_fields(self) -> set[str]:
        """Every target field a payload may carry, besides the external ID."""
        return set(self.fields.values()) | set(self.constants) | set(self.defaults)


def parse_pair_config(name: str, table: dict[str, Any], orgs: set[str]) -> PairConfig:
    """Build a PairConfig from one ``[pairs.NAME]`` table; raise PairConfigError."""
    unknown = set(table) - _KEYS
    if unknown:
        raise PairConfigError(
            name, "", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}"
        )

    source = _org(name, table, "source", orgs)
    target = _org(name, table, "target", orgs)
    mode = table.get("mode", "created")
    if mode not in CURSOR_FIELDS:
        raise PairConfigError(
            name, "mode", f'expected "created" or "changes", got {mode!r}'
        )

    sobject = _string(name, table, "object", "Case")
    external_id_field = _string(
        name, table, "external_id_field", DEFAULT_EXTERNAL_ID_FIELD
    )
    fields = _fields(name, table.get("fields"))
    constants = _scalars(name, table, "constants")
    defaults = _scalars(name, table, "defaults")
    value_maps = _value_maps(name, table.get("value_maps", {}))

    written = set(fields.values()) | set(constants) | set(defaults)
    for target_field in sorted(written):
        if target_field in _SYSTEM_FIELDS or target_field == external_id_field:
            raise PairConfigError(
                name,
                "fields",
                f"target field {target_field} is set by Salesforce or by orgbridge "
                "and cannot be mapped",
            )

    return PairConfig(
        name=name,
        source=source,
        target=target,
        sobject=sobject,
        mode=mode,
        fields=fields,
        constants=constants,
        defaults=defaults,
        value_maps=value_maps,
        external_id_field=external_id_field,
        write_back=_write_back(name, table.get("write_back")),
        start=_start(name, table.get("start", "all")),
        lookback_seconds=_int(name, table, "lookback_seconds", 300, 0, 86_400),
        batch_size=_int(name, table, "batch_size", MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE),
        query_batch_size=_int(name, table, "query_batch_size", 2000, 200, 2000),
        min_api_share=_share(name, table.get("min_api_share", 0.10)),
        concurrency=_int(name, table, "concurrency", 4, 1, 16),
    )


def _org(pair: str, table: dict[str, Any], key: str, orgs: set[str]) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise PairConfigError(pair, key, "missing; name one of the [orgs.NAME] tables")
    if value not in orgs:
        known = ", ".join(sorted(orgs)) or "none defined"
        raise PairConfigError(pair, key, f"unknown org {value!r} (known: {known})")
    return value


def _string(pair: str, table: dict[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise PairConfigError(pair, key, f"expected a non-empty string, got {value!r}")
    return value


def _int(
    pair: str, table: dict[str, Any], key: str, default: int, low: int, high: int
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PairConfigError(pair, key, f"expected an integer, got {value!r}")
    if not low <= value <= high:
        raise PairConfigError(pair, key, f"expected {low}..{high}, got {value}")
    return value


def _share(pair: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PairConfigError(
            pair, "min_api_share", f"expected a number, got {value!r}"
        )
    if not 0 <= value < 1:
        raise PairConfigError(
            pair, "min_api_share", f"expected a share from 0 up to 1, got {value}"
        )
    return float(value)


def _fields(pair: str, value: object) -> dict[str, str]:
    if value is None:
        return {name: name for name in DEFAULT_FIELDS}
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        mapping = {item: item for item in value}
    elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        mapping = dict(value)
    else:
        raise PairConfigError(
            pair,
            "fields",
            "expected a list of field names or a table of source = target names",
        )

    if not mapping:
        raise PairConfigError(pair, "fields", "maps no field")
    if "Id" in mapping:
        raise PairConfigError(
            pair, "fields", "Id is sent as the external ID; remove it from fields"
        )
    targets = list(mapping.values())
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise PairConfigError(
            pair, "fields", f"several source fields map to {', '.join(duplicates)}"
        )
    return mapping


def _scalars(pair: str, table: dict[str, Any], key: str) -> dict[str, Scalar]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise PairConfigError(pair, key, "expected a table of target field = value")
    for field_name, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise PairConfigError(
                pair,
                f"{key}.{field_name}",
                f"expected a string, number or boolean, got {item!r}",
            )
    return dict(value)


def _value_maps(pair: str, value: object) -> dict[str, dict[str, str | None]]:
    if not isinstance(value, dict):
        raise PairConfigError(pair, "value_maps", "expected a table per target field")
    maps: dict[str, dict[str, str | None]] = {}
    for field_name, table in value.items():
        if not isinstance(table, dict) or not all(
            isinstance(v, str) for v in table.values()
        ):
            raise PairConfigError(
                pair,
                f"value_maps.{field_name}",
                'expected a table of "source value" = "target value"',
            )
        # An empty string maps a value to null (the field is sent empty).
        maps[field_name] = {k: (v if v != "" else None) for k, v in table.items()}
    return maps


def _write_back(pair: str, value: object) -> WriteBack | None:
    if value is None:
        return None
    if isinstance(value, str):
        return WriteBack(field=value)
    if isinstance(value, dict) and isinstance(value.get("field"), str):
        written = value.get("value", "Id")
        if written not in ("Id", "CaseNumber") or set(value) - {"field", "value"}:
            raise PairConfigError(
                pair,
                "write_back",
                'expected { field = "Name__c", value = "Id" or "CaseNumber" }',
            )
        return WriteBack(field=value["field"], value=written)
    raise PairConfigError(
        pair, "write_back", 'expected a field name or { field = ..., value = "Id" }'
    )


def _start(pair: str, value: object) -> datetime | None:
    if value == "all":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PairConfigError(pair, "start", "needs a time zone, e.g. ...Z")
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    raise PairConfigError(
        pair,
        "start",
        f'expected "all" or an ISO datetime with a time zone, got {value!r}',
    )


def check_target_fields(pair: PairConfig, describe: Mapping[str, Any]) -> None:
    """Raise PairConfigError for a field the pair writes that the target lacks.

    ``describe`` is the target sObject's describe. Field names are compared
    without regard to case, as Salesforce does.
    """
    known = {str(entry["name"]).lower() for entry in describe.get("fields", [])}
    written: list[tuple[str, Iterable[str]]] = [
        ("fields", pair.fields.values()),
        ("constants", pair.constants),
        ("defaults", pair.defaults),
        ("external_id_field", [pair.external_id_field]),
    ]
    for key, names in written:
        missing = sorted({name for name in names if name.lower() not in known})
        if missing:
            raise PairConfigError(
                pair.name,
                key,
                f"org {pair.target!r} has no field {', '.join(missing)} on "
                f"{pair.sobject} (checked against its describe); check the spelling "
                "and the integration user's field-level security",
            )
