"""Resolve SOQL field paths against the org schema into SQL columns and joins.

A path such as ``Account.Owner.Name`` walks parent relationships: each hop adds
one LEFT JOIN on the parent's Id, shared by every path that takes the same hops.
The polymorphic Owner of a Case (a User or a queue, stored in Group) joins both
tables and returns records of Salesforce's ``Name`` sObject, whose fields are
the ones the two share. Identifiers in the SQL come from the schema only, never from
the query text.
"""

from dataclasses import dataclass, field

from orgbridge.emulator.schema import FieldSchema, OrgSchema, SObjectSchema
from orgbridge.emulator.soql.ast import FieldPath
from orgbridge.emulator.soql.errors import (
    INVALID_FIELD,
    MALFORMED_QUERY,
    SoqlError,
    positioned_message,
)

MAX_PARENT_DEPTH = 5
TEXT_COLLATION = " COLLATE NOCASE"
# Fields of Salesforce's Name sObject that the emulated User and Group store.
_NAME_FIELDS = ("Id", "Name", "FirstName", "LastName", "Email", "IsActive",
                "Username", "Type")  # fmt: skip
_ID_TYPES = frozenset({"id", "reference"})
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
_TEMPORAL_TYPES = frozenset({"date", "datetime", "time"})


def is_text_type(field_type: str) -> bool:
    """Tell whether SOQL compares values of this type as case-insensitive text."""
    return field_type not in (_ID_TYPES | _NUMBER_TYPES | _TEMPORAL_TYPES | {"boolean"})


@dataclass(frozen=True)
class Hop:
    """One parent relationship taken by a field path, such as Case -> Account.

    ``id_sql`` is the parent's Id (NULL when the lookup is empty) and ``type_sql``
    the SQL giving the parent's sObject name, for the record's attributes.
    """

    key: tuple[str, ...]
    name: str
    alias: str
    id_sql: str
    type_sql: str
    polymorphic: bool


@dataclass(frozen=True)
class ResolvedField:
    """A field path resolved to SQL: its expression, describe entry and hops."""

    sql: str
    field: FieldSchema
    hops: tuple[Hop, ...]
    entity: str

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def is_text(self) -> bool:
        return is_text_type(self.field.type)


@dataclass
class Resolver:
    """Resolve paths from one root sObject, collecting the joins they need."""

    soql: str
    schema: OrgSchema
    root: SObjectSchema
    root_alias: str
    query_alias: str | None = None
    joins: list[str] = field(default_factory=list)
    _hops: dict[tuple[str, ...], tuple[Hop, SObjectSchema | None]] = field(
        default_factory=dict
    )
    _polymorphic_aliases: dict[tuple[str, ...], list[tuple[str, SObjectSchema]]] = (
        field(default_factory=dict)
    )

    def resolve(self, path: FieldPath) -> ResolvedField:
        """Resolve a path, adding the joins its relationships need."""
        parts = list(path.parts)
        prefix = self.query_alias
        if prefix and len(parts) > 1 and parts[0].lower() == prefix.lower():
            parts = parts[1:]
        if len(parts) - 1 > MAX_PARENT_DEPTH:
            raise self._error(
                MALFORMED_QUERY,
                path,
                f"A field path can follow at most {MAX_PARENT_DEPTH} parent "
                "relationships",
            )

        sobject: SObjectSchema | None = self.root
        alias = self.root_alias
        hops: list[Hop] = []
        key: tuple[str, ...] = ()
        for relationship in parts[:-1]:
            if sobject is None:
                raise self._bad_relationship(path, relationship)
            key = (*key, relationship.lower())
            hop, sobject = self._hop(path, key, sobject, alias, relationship)
            hops.append(hop)
            alias = hop.alias

        if sobject is None:
            return self._resolve_polymorphic(path, key, hops, parts[-1])
        found = sobject.field(parts[-1])
        if found is None:
            raise self.no_such_column(path, parts[-1], sobject.name)
        if found.is_compound:
            raise self._error(
                MALFORMED_QUERY,
                path,
                f"The compound field {sobject.name}.{found.name} is not supported "
                "by the orgbridge emulator; select its component fields instead",
            )
        return ResolvedField(
            f'{alias}."{found.name}"', found, tuple(hops), sobject.name
        )

    def no_such_column(self, path: FieldPath, name: str, entity: str) -> SoqlError:
        return self._error(
            INVALID_FIELD,
            path,
            f"No such column '{name}' on entity '{entity}'. If you are attempting "
            "to use a custom field, be sure to append the '__c' after the custom "
            "field name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
        )

    def _hop(
        self,
        path: FieldPath,
        key: tuple[str, ...],
        sobject: SObjectSchema,
        alias: str,
        relationship: str,
    ) -> tuple[Hop, SObjectSchema | None]:
        known = self._hops.get(key)
        if known is not None:
            return known

        reference = sobject.reference_field_for(relationship)
        if reference is None:
            raise self._bad_relationship(path, relationship)
        name = reference.relationship_name or relationship
        foreign_key = f'{alias}."{reference.name}"'
        targets = reference.reference_to

        if len(targets) > 1:
            hop = self._join_polymorphic(path, key, name, foreign_key, targets)
            self._hops[key] = (hop, None)
            return hop, None

        parent = self.schema.sobject(targets[0]) if targets else None
        if parent is None:
            raise self._error(
                MALFORMED_QUERY,
                path,
                f"The relationship {name} leads to sObject "
                f"{targets[0] if targets else '(none)'}, which the orgbridge "
                "emulator does not store",
            )
        parent_alias = f"{self.root_alias}_{len(self._hops) + 1}"
        self.joins.append(
            f"LEFT JOIN {parent.table} AS {parent_alias} "
            f'ON {parent_alias}."Id" = {foreign_key}'
        )
        hop = Hop(
            key, name, parent_alias, f'{parent_alias}."Id"', f"'{parent.name}'", False
        )
        self._hops[key] = (hop, parent)
        return hop, parent

    def _join_polymorphic(
        self,
        path: FieldPath,
        key: tuple[str, ...],
        name: str,
        foreign_key: str,
        targets: list[str],
    ) -> Hop:
        joined: list[tuple[str, SObjectSchema]] = []
        for target in targets:
            parent = self.schema.sobject(target)
            if parent is None:
                continue
            parent_alias = f"{self.root_alias}_{len(self._hops) + 1}_{len(joined)}"
            self.joins.append(
                f"LEFT JOIN {parent.table} AS {parent_alias} "
                f'ON {parent_alias}."Id" = {foreign_key}'
            )
            joined.append((parent_alias, parent))
        if not joined:
            raise self._bad_relationship(path, name)

        self._polymorphic_aliases[key] = joined
        id_sql = "COALESCE(" + ", ".join(f'{a}."Id"' for a, _ in joined) + ")"
        cases = " ".join(
            f"WHEN {a}.\"Id\" IS NOT NULL THEN '{s.name}'" for a, s in joined
        )
        return Hop(key, name, joined[0][0], id_sql, f"CASE {cases} END", True)

    def _resolve_polymorphic(
        self, path: FieldPath, key: tuple[str, ...], hops: list[Hop], name: str
    ) -> ResolvedField:
        joined = self._polymorphic_aliases[key]
        canonical = next((n for n in _NAME_FIELDS if n.lower() == name.lower()), None)
        if canonical is None:
            raise self.no_such_column(path, name, "Name")

        if canonical == "Type":
            # Name.Type is the owner's kind: User, or the Group's own type (Queue).
            branches = []
            for alias, sobject in joined:
                value = f'{alias}."Type"' if sobject.field("Type") else "'User'"
                branches.append(f'WHEN {alias}."Id" IS NOT NULL THEN {value}')
            sql = f"CASE {' '.join(branches)} END"
            describe_field = joined[0][1].fields["Id"]
            text_field = FieldSchema({**describe_field.describe, "name": "Type",
                                      "type": "string"})  # fmt: skip
            return ResolvedField(sql, text_field, tuple(hops), "Name")

        columns = []
        found: FieldSchema | None = None
        for alias, sobject in joined:
            candidate = sobject.field(canonical)
            if candidate is not None:
                columns.append(f'{alias}."{candidate.name}"')
                found = found or candidate
        if found is None:
            raise self.no_such_column(path, name, "Name")
        sql = columns[0] if len(columns) == 1 else f"COALESCE({', '.join(columns)})"
        return ResolvedField(sql, found, tuple(hops), "Name")

    def _bad_relationship(self, path: FieldPath, relationship: str) -> SoqlError:
        return self._error(
            INVALID_FIELD,
            path,
            f"Didn't understand relationship '{relationship}' in field path. If "
            "you are attempting to use a custom relationship, be sure to append "
            "the '__r' after the custom relationship name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
        )

    def _error(self, code: str, path: FieldPath, text: str) -> SoqlError:
        return SoqlError(code, positioned_message(self.soql, path.position, text))
