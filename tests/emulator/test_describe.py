"""Describe answers over HTTPS, compared with the describes recorded on a real org."""

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import httpx
import pytest

from conftest import rest_client
from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, PicklistConfig
from orgbridge.emulator.server import EmulatedOrg

# Keys whose values depend on the org and API version the recording came from.
VOLATILE_KEYS = {"urls", "childRelationships", "fields", "actionOverrides"}


def recorded(name: str) -> dict[str, Any]:
    text = resources.files("orgbridge.emulator").joinpath(f"describes/{name}.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def session(org: EmulatedOrg) -> httpx.Client:
    return rest_client(org, "/services/data/v62.0")


@pytest.fixture
def org(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> EmulatedOrg:
    return start_org(
        org_config_factory(
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
            picklists=(
                PicklistConfig(
                    sobject="Case",
                    field="Status",
                    values=("New", "In Progress", "Closed"),
                    default="New",
                    restricted=True,
                ),
            ),
        )
    )


@pytest.mark.parametrize("name", ["Case", "Account", "Contact"])
def test_describe_matches_recording(org: EmulatedOrg, name: str) -> None:
    with session(org) as client:
        response = client.get(f"/sobjects/{name}/describe")
    expected = recorded(name)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    answer = response.json()
    for key, value in expected.items():
        if key not in VOLATILE_KEYS:
            assert answer[key] == value, key
    recorded_fields = {f["name"]: f for f in expected["fields"]}
    served_fields = {f["name"]: f for f in answer["fields"]}
    for field_name, field in recorded_fields.items():
        if name == "Case" and field_name == "Status":
            continue
        assert served_fields[field_name] == field, field_name


def test_describe_urls_use_caller_version(org: EmulatedOrg) -> None:
    with session(org) as client:
        answer = client.get("/sobjects/Case/describe").json()

    assert answer["urls"]["sobject"] == "/services/data/v62.0/sobjects/Case"
    assert answer["urls"]["describe"] == "/services/data/v62.0/sobjects/Case/describe"


def test_describe_has_custom_field(org: EmulatedOrg) -> None:
    with session(org) as client:
        fields = {
            f["name"]: f for f in client.get("/sobjects/Case/describe").json()["fields"]
        }

    external_id = fields["Source_Case_Id__c"]
    assert external_id["custom"] is True
    assert external_id["externalId"] is True
    assert external_id["unique"] is True
    assert external_id["caseSensitive"] is True
    assert external_id["length"] == 18
    assert external_id["type"] == "string"
    assert set(external_id) == set(fields["Subject"])


def test_describe_replaces_picklist(org: EmulatedOrg) -> None:
    with session(org) as client:
        fields = {
            f["name"]: f for f in client.get("/sobjects/Case/describe").json()["fields"]
        }

    status = fields["Status"]
    assert [v["value"] for v in status["picklistValues"]] == [
        "New",
        "In Progress",
        "Closed",
    ]
    assert status["restrictedPicklist"] is True
    assert [v["defaultValue"] for v in status["picklistValues"]] == [True, False, False]


def test_global_describe_lists_emulated_objects(org: EmulatedOrg) -> None:
    with session(org) as client:
        answer = client.get("/sobjects/").json()

    names = {entry["name"] for entry in answer["sobjects"]}
    assert answer["encoding"] == "UTF-8"
    assert answer["maxBatchSize"] == 200
    assert {"Case", "Account", "Contact", "User", "Group", "CaseComment"} <= names
    case = next(entry for entry in answer["sobjects"] if entry["name"] == "Case")
    assert case["keyPrefix"] == "500"
    assert case["urls"]["rowTemplate"] == "/services/data/v62.0/sobjects/Case/{ID}"


def test_synthesized_describe_has_every_field_key(org: EmulatedOrg) -> None:
    with session(org) as client:
        comment = client.get("/sobjects/CaseComment/describe").json()
    case_subject = next(f for f in recorded("Case")["fields"] if f["name"] == "Subject")

    assert comment["keyPrefix"] == "00a"
    for field in comment["fields"]:
        assert set(field) >= set(case_subject), field["name"]
