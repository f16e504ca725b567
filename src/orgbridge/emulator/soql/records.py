"""Build JSON-ready records from SQL rows, in the shape of Salesforce's responses.

Fields appear in SELECT order under their describe names. A parent relationship
nests as ``{"attributes": {...}, "Name": ...}``, or null when the lookup is empty.
Booleans become true/false, numbers stay numbers and datetimes keep their stored
REST text. A child subquery becomes ``{"totalSize", "done", "records"}``, or null
when the parent has no children.
"""

from collections.abc import Callable, Sequence
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

    def build_all(
        self,
        rows: Sequence[Sequence[Any]],
        api_version: str,
        children: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Build the records of a page of rows, as ``build`` does for each row.

        A shape of plain fields only (no relationship, no child subquery) takes a
        faster path, which looks the field names and converters up once per page
        instead of once per cell.
        """
        if not self._is_plain():
            return [self.build(row, api_version, children) for row in rows]

        names = [item.name for item in self.items if isinstance(item, OutputField)]
        converted = [
            (item.name, item.column, converter)
            for item in self.items
            if isinstance(item, OutputField)
            and (converter := _CONVERTERS.get(item.field_type)) is not None
        ]
        sobject = self.sobject
        url_prefix = _url(sobject, "", api_version)

        records: list[dict[str, Any]] = []
        for row in rows:
            record: dict[str, Any] = {
                "attributes": {"type": sobject, "url": f"{url_prefix}{row[0]}"}
            }
            record.update(zip(names, row[1:], strict=True))
            # Assigning a key again keeps its first position, so the keys stay in
            # SELECT order.
            for name, column, converter in converted:
                value = row[column]
                if value is not None:
                    record[name] = converter(value)
            records.append(record)
        return records

    def _is_plain(self) -> bool:
        """Tell whether every item is a field of the row's own sObject.

        Such a shape selects the record's Id and then one column per item, in
        order, so a row's values after the Id are the items' values.
        """
        columns = []
        for item in self.items:
            if not isinstance(item, OutputField) or item.hops:
                return False
            columns.append(item.column)
        return columns == list(range(1, len(self.columns)))

    def build(
        self,
        row: Sequence[Any],
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
    record: dict[str, Any], item: OutputField, row: Sequence[Any], api_version: str
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


# Field types whose stored value needs a conversion to its JSON form. For every
# other type, the stored text (or null) is the JSON value.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,
    "int": int,
    "double": float,
    "currency": float,
    "percent": float,
}


def convert(value: Any, field_type: str) -> Any:
    """Convert a stored value to its JSON form for a field type."""
    if value is None:
        return None
    converter = _CONVERTERS.get(field_type)
    return value if converter is None else converter(value)
