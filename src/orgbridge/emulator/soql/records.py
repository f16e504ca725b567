"""Build JSON-ready records from SQL rows, in the shape of Salesforce's responses.

Fields appear in SELECT order under their describe names. A parent relationship
nests as ``{"attributes": {...}, "Name": ...}``, or null when the lookup is empty.
Booleans become true/false, numbers stay numbers and datetimes keep their stored
REST text. A child subquery becomes ``{"totalSize", "done", "records"}``, or null
when the parent has no children.
"""

from dataclasses import dataclass, field
from typing import Any

from orgbridge.emulator.soql.resolver import Hop, ResolvedField

# Salesforce returns a polymorphic relationship, such as Case.Owner, as a record
# of its Name sObject. The URL still names the record's own sObject.
# NOTE: the "Name" type comes from Salesforce's object reference, not a live org.
POLYMORPHIC_TYPE = "Name"


@dataclass(frozen=True)
class OutputField:
    """One selected field: where its value is in the row and where it goes."""

    hops: tuple[Hop, ...]
    hop_columns: tuple[tuple[int, int], ...]
    name: str
    field_type: str
    column: int


@dataclass
class RecordShape:
    """The columns a record query selects and how each row becomes a record.

    Column 0 is always the record's Id.
    """

    sobject: str
    columns: list[str]
    items: list[OutputField | str] = field(default_factory=list)
    _hop_columns: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)

    def add_field(self, resolved: ResolvedField) -> None:
        hop_columns = []
        for hop in resolved.hops:
            if hop.key not in self._hop_columns:
                self.columns.extend([hop.id_sql, hop.type_sql])
                self._hop_columns[hop.key] = (len(self.columns) - 2,
                                              len(self.columns) - 1)  # fmt: skip
            hop_columns.append(self._hop_columns[hop.key])
        self.columns.append(resolved.sql)
        self.items.append(
            OutputField(
                resolved.hops,
                tuple(hop_columns),
                resolved.name,
                resolved.type,
                len(self.columns) - 1,
            )
        )

    def add_child(self, relationship_name: str) -> None:
        self.items.append(relationship_name)

    def build(
        self,
        row: tuple[Any, ...],
        api_version: str,
        children: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
    ) -> dict[str, Any]:
        """Build one record; ``children`` maps relationship -> parent Id -> rows."""
        record: dict[str, Any] = {
            "attributes": attributes(self.sobject, row[0], api_version)
        }
        for item in self.items:
            if isinstance(item, str):
                found = (children or {}).get(item, {}).get(row[0])
                record[item] = (
                    {"totalSize": len(found), "done": True, "records": found}
                    if found
                    else None
                )
                continue
            _place(record, item, row, api_version)
        return record


def _place(
    record: dict[str, Any], item: OutputField, row: tuple[Any, ...], api_version: str
) -> None:
    container = record
    for hop, (id_column, type_column) in zip(item.hops, item.hop_columns, strict=True):
        if hop.name not in container:
            parent_id = row[id_column]
            if parent_id is None:
                container[hop.name] = None
            else:
                parent_type = str(row[type_column])
                shown = POLYMORPHIC_TYPE if hop.polymorphic else parent_type
                container[hop.name] = {
                    "attributes": {
                        "type": shown,
                        "url": _url(parent_type, parent_id, api_version),
                    }
                }
        nested = container[hop.name]
        if nested is None:
            return
        container = nested
    container[item.name] = convert(row[item.column], item.field_type)


def attributes(sobject: str, record_id: str, api_version: str) -> dict[str, str]:
    """Build a record's ``attributes`` entry."""
    return {"type": sobject, "url": _url(sobject, record_id, api_version)}


def _url(sobject: str, record_id: str, api_version: str) -> str:
    return f"/services/data/v{api_version}/sobjects/{sobject}/{record_id}"


def convert(value: Any, field_type: str) -> Any:
    """Convert a stored value to its JSON form for a field type."""
    if value is None:
        return None
    if field_type == "boolean":
        return bool(value)
    if field_type == "int":
        return int(value)
    if field_type in ("double", "currency", "percent"):
        return float(value)
    return value
