"""The emulated org's metadata: sObjects, fields and how each is stored in SQLite.

Case, Account and Contact come from describe responses recorded on a real Developer
Edition org (API v48.0, from CumulusCI's public test cassettes, BSD-3-Clause). User,
Group and CaseComment, which those recordings lack, are built here from the field
lists in Salesforce's object reference. The org setup then adds custom fields and
replaces picklist values.

Storage convention, shared by the record store and the SOQL translator: one table per
sObject, named after it; one column per field, named after it. Booleans are stored as
0/1, numbers as INTEGER or REAL, dates as ``YYYY-MM-DD`` and datetimes as REST text
(``2024-01-01T10:00:00.000+0000``), which sorts in time order because every stored
value is UTC. Compound fields (address, location) have no column; their components do.
"""

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, PicklistConfig

RECORDED_SOBJECTS = ("Case", "Account", "Contact")
COMPOUND_TYPES = frozenset({"address", "location"})
_SQL_TYPES = {
    "boolean": "INTEGER",
    "int": "INTEGER",
    "double": "REAL",
    "currency": "REAL",
    "percent": "REAL",
}
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "datetime": "xsd:dateTime",
    "date": "xsd:date",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}


@dataclass(frozen=True)
class FieldSchema:
    """One field, as its describe entry states it.

    The properties are computed once and cached, because the describe entry is
    complete when the schema is built and never changes afterwards.
    """

    describe: dict[str, Any]

    @cached_property
    def name(self) -> str:
        return str(self.describe["name"])

    @cached_property
    def label(self) -> str:
        return str(self.describe["label"])

    @cached_property
    def type(self) -> str:
        return str(self.describe["type"])

    @cached_property
    def length(self) -> int:
        return int(self.describe["length"])

    @cached_property
    def createable(self) -> bool:
        return bool(self.describe["createable"])

    @cached_property
    def updateable(self) -> bool:
        return bool(self.describe["updateable"])

    @cached_property
    def nillable(self) -> bool:
        return bool(self.describe["nillable"])

    @cached_property
    def defaulted_on_create(self) -> bool:
        return bool(self.describe["defaultedOnCreate"])

    @cached_property
    def external_id(self) -> bool:
        return bool(self.describe["externalId"])

    @cached_property
    def unique(self) -> bool:
        return bool(self.describe["unique"])

    @cached_property
    def case_sensitive(self) -> bool:
        return bool(self.describe["caseSensitive"])

    @cached_property
    def id_lookup(self) -> bool:
        return bool(self.describe["idLookup"])

    @cached_property
    def restricted_picklist(self) -> bool:
        return bool(self.describe["restrictedPicklist"])

    @property
    def picklist_values(self) -> list[str]:
        """Active picklist values, in describe order."""
        return list(self._active_picklist_values)

    @cached_property
    def picklist_value_set(self) -> frozenset[str]:
        """Active picklist values, for membership tests."""
        return frozenset(self._active_picklist_values)

    @cached_property
    def _active_picklist_values(self) -> tuple[str, ...]:
        return tuple(
            str(entry["value"])
            for entry in self.describe["picklistValues"]
            if entry.get("active", True)
        )

    @cached_property
    def default_picklist_value(self) -> str | None:
        for entry in self.describe["picklistValues"]:
            if entry.get("defaultValue"):
                return str(entry["value"])
        return None

    @property
    def reference_to(self) -> list[str]:
        return list(self._reference_to)

    @cached_property
    def _reference_to(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.describe["referenceTo"])

    @cached_property
    def relationship_name(self) -> str | None:
        value = self.describe["relationshipName"]
        return None if value is None else str(value)

    @cached_property
    def is_compound(self) -> bool:
        return self.type in COMPOUND_TYPES

    @cached_property
    def sql_type(self) -> str:
        """The SQLite column type; TEXT for everything not numeric or boolean."""
        return _SQL_TYPES.get(self.type, "TEXT")


@dataclass(frozen=True)
class ChildRelationship:
    """A parent-to-child relationship, such as Case.CaseComments."""

    relationship_name: str
    child_sobject: str
    field: str


@dataclass(frozen=True)
class SObjectSchema:
    """One sObject: its object-level describe and its fields by API name."""

    name: str
    describe_base: dict[str, Any]
    fields: dict[str, FieldSchema]
    child_relationships: dict[str, ChildRelationship]

    @cached_property
    def key_prefix(self) -> str:
        return str(self.describe_base["keyPrefix"])

    @property
    def label(self) -> str:
        return str(self.describe_base["label"])

    @property
    def table(self) -> str:
        """The quoted SQLite table name."""
        return f'"{self.name}"'

    def field(self, name: str) -> FieldSchema | None:
        """Find a field by API name, ignoring case as Salesforce does."""
        found = self.fields.get(name)
        if found is not None:
            return found
        return self._fields_by_lowered_name.get(name.lower())

    def stored_fields(self) -> list[FieldSchema]:
        """Fields that have a column, in describe order."""
        return list(self._stored_fields)

    # The caches below assume that ``fields`` is complete when the schema is built.
    # build_org_schema adds custom fields and picklists before it creates the object.

    @cached_property
    def _fields_by_lowered_name(self) -> dict[str, FieldSchema]:
        return {f.name.lower(): f for f in self.fields.values()}

    @cached_property
    def _stored_fields(self) -> tuple[FieldSchema, ...]:
        return tuple(f for f in self.fields.values() if not f.is_compound)

    @cached_property
    def unique_field_names(self) -> frozenset[str]:
        """API names of the fields whose describe sets ``unique``."""
        return frozenset(f.name for f in self._stored_fields if f.unique)

    @cached_property
    def reference_field_names(self) -> frozenset[str]:
        """API names of the lookup fields (type ``reference``)."""
        return frozenset(f.name for f in self._stored_fields if f.type == "reference")

    @cached_property
    def required_fields(self) -> tuple[FieldSchema, ...]:
        """Fields a create must set, which are createable, not nillable, no default."""
        return tuple(
            f
            for f in self._stored_fields
            if f.createable and not f.nillable and not f.defaulted_on_create
        )

    def reference_field_for(self, relationship_name: str) -> FieldSchema | None:
        """Find the lookup field behind a parent relationship name, such as Account."""
        lowered = relationship_name.lower()
        for candidate in self.fields.values():
            name = candidate.relationship_name
            if name is not None and name.lower() == lowered:
                return candidate
        return None

    def child_relationship(self, name: str) -> ChildRelationship | None:
        lowered = name.lower()
        for relationship in self.child_relationships.values():
            if relationship.relationship_name.lower() == lowered:
                return relationship
        return None

    def describe(self, api_version: str, instance_url: str) -> dict[str, Any]:
        """Build the per-object describe response for one API version."""
        answer = copy.deepcopy(self.describe_base)
        answer["fields"] = [copy.deepcopy(f.describe) for f in self.fields.values()]
        answer["urls"] = _sobject_urls(self.name, api_version, instance_url)
        answer["childRelationships"] = _rewrite_child_urls(
            answer.get("childRelationships", [])
        )
        return answer

    def global_entry(self, api_version: str) -> dict[str, Any]:
        """Build this object's entry in the global describe response."""
        entry = {
            key: value
            for key, value in self.describe_base.items()
            if key not in ("fields", "childRelationships", "recordTypeInfos")
            and not isinstance(value, list)
        }
        base = f"/services/data/v{api_version}/sobjects/{self.name}"
        entry["urls"] = {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        }
        return entry


@dataclass(frozen=True)
class OrgSchema:
    """All sObjects of one emulated org."""

    sobjects: dict[str, SObjectSchema]

    def sobject(self, name: str) -> SObjectSchema | None:
        """Find an sObject by API name, ignoring case."""
        found = self.sobjects.get(name)
        if found is not None:
            return found
        return self._sobjects_by_lowered_name.get(name.lower())

    def sobject_for_id(self, record_id: str) -> SObjectSchema | None:
        """Find the sObject whose key prefix starts a record Id."""
        return self._sobjects_by_key_prefix.get(record_id[:3])

    @cached_property
    def _sobjects_by_lowered_name(self) -> dict[str, SObjectSchema]:
        return {s.name.lower(): s for s in self.sobjects.values()}

    @cached_property
    def _sobjects_by_key_prefix(self) -> dict[str, SObjectSchema]:
        # Should two sObjects share a key prefix, the first one wins.
        by_prefix: dict[str, SObjectSchema] = {}
        for candidate in self.sobjects.values():
            by_prefix.setdefault(candidate.key_prefix, candidate)
        return by_prefix

    def global_describe(self, api_version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [s.global_entry(api_version) for s in self.sobjects.values()],
        }

    def ddl(self) -> list[str]:
        """CREATE TABLE and CREATE INDEX statements for every sObject."""
        statements: list[str] = []
        for sobject in self.sobjects.values():
            columns = [f'"{f.name}" {f.sql_type}' for f in sobject.stored_fields()]
            columns[0] += " PRIMARY KEY" if columns[0].startswith('"Id"') else ""
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {sobject.table} ({', '.join(columns)})"
            )
            for field_schema in sobject.stored_fields():
                if field_schema.name in ("SystemModstamp", "CreatedDate") or (
                    field_schema.external_id or field_schema.unique
                ):
                    statements.append(
                        f'CREATE INDEX IF NOT EXISTS "ix_{sobject.name}_'
                        f'{field_schema.name}" ON {sobject.table} '
                        f'("{field_schema.name}")'
                    )
        return statements


def build_org_schema(config: OrgConfig) -> OrgSchema:
    """Build an org's schema from the recorded describes and its setup."""
    describes = {name: _load_recorded(name) for name in RECORDED_SOBJECTS}
    describes.update(_synthesized_describes())

    for custom in config.custom_fields:
        target = _require(describes, custom.sobject, "custom_fields")
        target["fields"].append(custom_field_describe(custom))
    for picklist in config.picklists:
        target = _require(describes, picklist.sobject, "picklists")
        _replace_picklist(target, picklist)

    sobjects = {name: _sobject_schema(name, d) for name, d in describes.items()}
    for sobject in sobjects.values():
        _keep_known_children(sobject, sobjects)
    return OrgSchema(sobjects=sobjects)


def _require(describes: dict[str, dict[str, Any]], name: str, where: str) -> Any:
    if name not in describes:
        raise ValueError(
            f"{where}: sObject {name!r} is not emulated; known: {sorted(describes)}"
        )
    return describes[name]


def _load_recorded(name: str) -> dict[str, Any]:
    text = resources.files("orgbridge.emulator").joinpath(f"describes/{name}.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def _sobject_schema(name: str, describe: dict[str, Any]) -> SObjectSchema:
    fields = {f["name"]: FieldSchema(f) for f in describe["fields"]}
    children = {
        c["relationshipName"]: ChildRelationship(
            c["relationshipName"], c["childSObject"], c["field"]
        )
        for c in describe.get("childRelationships", [])
        if c.get("relationshipName")
    }
    base = {k: v for k, v in describe.items() if k != "fields"}
    return SObjectSchema(name, base, fields, children)


def _keep_known_children(sobject: SObjectSchema, known: dict[str, Any]) -> None:
    for name in list(sobject.child_relationships):
        if sobject.child_relationships[name].child_sobject not in known:
            del sobject.child_relationships[name]


def _replace_picklist(describe: dict[str, Any], picklist: PicklistConfig) -> None:
    for entry in describe["fields"]:
        if entry["name"] == picklist.field:
            if entry["type"] not in ("picklist", "multipicklist"):
                raise ValueError(
                    f"picklists: {picklist.sobject}.{picklist.field} is a "
                    f"{entry['type']} field, not a picklist"
                )
            entry["picklistValues"] = picklist_entries(
                picklist.values, picklist.default
            )
            entry["restrictedPicklist"] = picklist.restricted
            entry["defaultedOnCreate"] = picklist.default is not None
            return
    raise ValueError(f"picklists: no field {picklist.field!r} on {picklist.sobject}")


def picklist_entries(
    values: Iterable[str], default: str | None
) -> list[dict[str, Any]]:
    """Build describe picklistValues entries."""
    return [
        {
            "active": True,
            "defaultValue": value == default,
            "label": value,
            "validFor": None,
            "value": value,
        }
        for value in values
    ]


def custom_field_describe(custom: CustomFieldConfig) -> dict[str, Any]:
    """Build the describe entry of a custom field."""
    entry = field_describe(
        custom.name,
        custom.type,
        label=custom.label or custom.name.removesuffix("__c").replace("_", " "),
        length=custom.length if custom.type in ("string", "textarea", "email") else 0,
        nillable=not custom.required,
        reference_to=[custom.reference_to] if custom.reference_to else [],
    )
    entry["custom"] = True
    entry["externalId"] = custom.external_id
    entry["unique"] = custom.unique
    entry["caseSensitive"] = custom.case_sensitive
    entry["idLookup"] = custom.external_id or custom.unique
    if custom.picklist_values:
        entry["picklistValues"] = picklist_entries(custom.picklist_values, None)
        entry["restrictedPicklist"] = custom.restricted_picklist
    return entry


def field_describe(
    name: str,
    field_type: str,
    *,
    label: str | None = None,
    length: int = 0,
    createable: bool = True,
    updateable: bool = True,
    nillable: bool = True,
    defaulted_on_create: bool = False,
    reference_to: list[str] | None = None,
    relationship_name: str | None = None,
) -> dict[str, Any]:
    """Build a describe field entry with every key a real one has."""
    text_like = field_type in (
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
    )
    # Real describes give text fields 3 bytes per character and Ids 18 bytes.
    byte_length = 0
    if text_like:
        byte_length = length * 3
    elif length == 18:
        byte_length = 18

    return {
        "aggregatable": field_type != "textarea",
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": byte_length,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": createable,
        "custom": False,
        "defaultValue": False if field_type == "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": field_type != "textarea",
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": field_type not in ("textarea", "datetime", "double"),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": field_type == "id",
        "inlineHelpText": None,
        "label": label or name,
        "length": length,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": False,
        "namePointing": False,
        "nillable": nillable,
        "permissionable": nillable and createable,
        "picklistValues": [],
        "polymorphicForeignKey": bool(reference_to and len(reference_to) > 1),
        "precision": 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": reference_to or [],
        "relationshipName": relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": 0,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(field_type, "xsd:string"),
        "sortable": field_type != "textarea",
        "type": field_type,
        "unique": False,
        "updateable": updateable,
        "writeRequiresMasterRead": False,
    }


def _audit_fields() -> list[dict[str, Any]]:
    def read_only(name: str, field_type: str, **extra: Any) -> dict[str, Any]:
        return field_describe(
            name,
            field_type,
            createable=False,
            updateable=False,
            nillable=False,
            defaulted_on_create=True,
            **extra,
        )

    return [
        read_only("IsDeleted", "boolean", label="Deleted"),
        read_only("CreatedDate", "datetime", label="Created Date"),
        read_only(
            "CreatedById",
            "reference",
            label="Created By ID",
            length=18,
            reference_to=["User"],
            relationship_name="CreatedBy",
        ),
        read_only("LastModifiedDate", "datetime", label="Last Modified Date"),
        read_only(
            "LastModifiedById",
            "reference",
            label="Last Modified By ID",
            length=18,
            reference_to=["User"],
            relationship_name="LastModifiedBy",
        ),
        read_only("SystemModstamp", "datetime", label="System Modstamp"),
    ]


def _id_field(label: str) -> dict[str, Any]:
    return field_describe(
        "Id", "id", label=label, length=18, createable=False, updateable=False,
        nillable=False, defaulted_on_create=True,
    )  # fmt: skip


def _object_describe(
    name: str, label: str, plural: str, key_prefix: str, fields: list[dict[str, Any]]
) -> dict[str, Any]:
    flags = ("createable", "updateable", "deletable", "queryable", "retrieveable")
    describe: dict[str, Any] = {flag: True for flag in flags}
    describe.update(
        {
            "activateable": False,
            "childRelationships": [],
            "custom": False,
            "customSetting": False,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "hasSubtypes": False,
            "isSubtype": False,
            "keyPrefix": key_prefix,
            "label": label,
            "labelPlural": plural,
            "layoutable": True,
            "mergeable": False,
            "mruEnabled": False,
            "name": name,
            "recordTypeInfos": [],
            "replicateable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": True,
            "fields": fields,
        }
    )
    return describe


def _synthesized_describes() -> dict[str, dict[str, Any]]:
    user_fields = [
        _id_field("User ID"),
        field_describe("Username", "string", length=80, nillable=False),
        field_describe("LastName", "string", label="Last Name", length=80),
        field_describe("FirstName", "string", label="First Name", length=40),
        field_describe("Name", "string", label="Full Name", length=121,
                       createable=False, updateable=False),
        field_describe("Email", "email", length=128, nillable=False),
        field_describe("TimeZoneSidKey", "picklist", label="Time Zone", length=40),
        field_describe("IsActive", "boolean", label="Active", nillable=False),
        *_audit_fields()[1:],
    ]  # fmt: skip
    group_fields = [
        _id_field("Group ID"),
        field_describe("Name", "string", length=40, nillable=False),
        field_describe("DeveloperName", "string", label="Developer Name", length=80),
        field_describe("Type", "picklist", length=40, nillable=False),
        *_audit_fields()[1:],
    ]
    comment_fields = [
        _id_field("Case Comment ID"),
        field_describe(
            "ParentId", "reference", label="Parent Case ID", length=18,
            nillable=False, updateable=False, reference_to=["Case"],
            relationship_name="Parent",
        ),
        field_describe("IsPublished", "boolean", label="Published", nillable=False,
                       defaulted_on_create=True),
        field_describe("CommentBody", "textarea", label="Body", length=4000),
        *_audit_fields(),
    ]  # fmt: skip
    return {
        "User": _object_describe("User", "User", "Users", "005", user_fields),
        "Group": _object_describe("Group", "Group", "Groups", "00G", group_fields),
        "CaseComment": _object_describe(
            "CaseComment", "Case Comment", "Case Comments", "00a", comment_fields
        ),
    }


def _sobject_urls(name: str, api_version: str, instance_url: str) -> dict[str, str]:
    base = f"/services/data/v{api_version}/sobjects/{name}"
    return {
        "sobject": base,
        "describe": f"{base}/describe",
        "rowTemplate": f"{base}/{{ID}}",
        "uiDetailTemplate": f"{instance_url}/{{ID}}",
        "uiEditTemplate": f"{instance_url}/{{ID}}/e",
    }


def _rewrite_child_urls(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return children
