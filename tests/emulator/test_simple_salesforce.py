"""simple-salesforce, unmodified, against the emulator over HTTPS.

simple-salesforce builds every URL with https:// and the host of ``instance_url``,
so it is given the emulator's instance URL, a session id from the client
credentials flow and a requests session that trusts the emulator's CA.
"""

import ssl
from collections.abc import Callable, Iterator

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, PicklistConfig
from orgbridge.emulator.server import EmulatedOrg

API_VERSION = "62.0"


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
                CustomFieldConfig(sobject="Case", name="Region__c", external_id=True),
            ),
            picklists=(
                PicklistConfig(
                    sobject="Case",
                    field="Status",
                    values=("New", "Working", "Closed"),
                    default="New",
                    restricted=True,
                ),
            ),
        )
    )


@pytest.fixture
def sf(org: EmulatedOrg) -> Iterator[Salesforce]:
    token = httpx.post(
        f"{org.instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    ).json()["access_token"]
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE from the environment override session.verify.
    session.trust_env = False
    session.verify = str(org.ca_bundle)
    yield Salesforce(
        instance_url=org.instance_url,
        session_id=token,
        session=session,
        version=API_VERSION,
    )
    session.close()


def test_create_get_update_delete(sf: Salesforce) -> None:
    created = sf.Case.create({"Subject": "Printer on fire", "Origin": "Web"})

    assert created["success"] is True
    assert created["errors"] == []
    record = sf.Case.get(created["id"])
    assert record["Subject"] == "Printer on fire"
    assert record["attributes"]["type"] == "Case"
    assert record["attributes"]["url"].endswith(created["id"])
    assert record["CreatedDate"].endswith("+0000")
    assert len(record["CaseNumber"]) == 8

    status = sf.Case.update(created["id"], {"Status": "Working"})
    assert status == 204
    assert sf.Case.get(created["id"])["Status"] == "Working"

    assert sf.Case.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Case.get(created["id"])
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_created_then_updated(sf: Salesforce) -> None:
    first = sf.Case.upsert("Source_Case_Id__c/500A00000000001AAA", {"Subject": "A"})
    second = sf.Case.upsert("Source_Case_Id__c/500A00000000001AAA", {"Subject": "B"})

    assert first == 201
    assert second == 200
    record = sf.Case.get_by_custom_id("Source_Case_Id__c", "500A00000000001AAA")
    assert record["Subject"] == "B"


def test_upsert_several_matches(sf: Salesforce) -> None:
    sf.Case.create({"Subject": "one", "Region__c": "north"})
    sf.Case.create({"Subject": "two", "Region__c": "north"})

    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Case.upsert("Region__c/north", {"Subject": "x"})


def test_validation_error_shape(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Case.create({"Status": "Bogus"})

    error = caught.value.content[0]
    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error["fields"] == ["Status"]
    assert error["message"] == "Status: bad value for restricted picklist field: Bogus"


def test_query_all_pages_past_2000(sf: Salesforce) -> None:
    records = [
        {"attributes": {"type": "Case"}, "Subject": f"Case {n}"} for n in range(2300)
    ]
    for start in range(0, len(records), 200):
        body = {"allOrNone": True, "records": records[start : start + 200]}
        results = sf.restful("composite/sobjects", method="POST", json=body)
        assert all(result["success"] for result in results)

    first_page = sf.query("SELECT Id, Subject FROM Case ORDER BY CreatedDate, Id")
    everything = sf.query_all("SELECT Id, Subject FROM Case ORDER BY CreatedDate, Id")

    assert first_page["totalSize"] == 2300
    assert first_page["done"] is False
    assert len(first_page["records"]) == 2000
    assert "/query/01g" in first_page["nextRecordsUrl"]
    assert everything["totalSize"] == 2300
    assert len(everything["records"]) == 2300
    assert len({r["Id"] for r in everything["records"]}) == 2300


def test_query_count_and_relationship(sf: Salesforce) -> None:
    sf.Case.create({"Subject": "counted"})

    counted = sf.query("SELECT COUNT() FROM Case")
    owners = sf.query("SELECT Subject, Owner.Name FROM Case")

    assert counted["totalSize"] == 1
    assert counted["records"] == []
    assert owners["records"][0]["Owner"]["Name"]


def test_malformed_query_error(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Case GROUP BY Subject")

    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_describe(sf: Salesforce) -> None:
    describe = sf.Case.describe()
    global_describe = sf.describe()

    names = {field["name"] for field in describe["fields"]}
    assert describe["keyPrefix"] == "500"
    assert {"Subject", "Status", "Source_Case_Id__c"} <= names
    assert "Case" in {entry["name"] for entry in global_describe["sobjects"]}


def test_composite_with_reference(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"/services/data/v{API_VERSION}/sobjects/Case",
                "referenceId": "newCase",
                "body": {"Subject": "from composite"},
            },
            {
                "method": "GET",
                "url": f"/services/data/v{API_VERSION}/sobjects/Case/@{{newCase.id}}",
                "referenceId": "readBack",
            },
        ],
    }

    answer = sf.restful("composite", method="POST", json=body)

    created, read_back = answer["compositeResponse"]
    assert created["httpStatusCode"] == 201
    assert read_back["httpStatusCode"] == 200
    assert read_back["body"]["Subject"] == "from composite"
    assert read_back["body"]["Id"] == created["body"]["id"]


def test_collections_partial_failure(sf: Salesforce) -> None:
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Case"}, "Subject": "good"},
            {"attributes": {"type": "Case"}, "Status": "Bogus"},
            {"attributes": {"type": "Case"}, "Subject": "also good"},
        ],
    }

    results = sf.restful("composite/sobjects", method="POST", json=body)

    assert [result["success"] for result in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert sf.query("SELECT COUNT() FROM Case")["totalSize"] == 2


def test_collections_all_or_none_rolls_back(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Case"}, "Subject": "good"},
            {"attributes": {"type": "Case"}, "Status": "Bogus"},
        ],
    }

    results = sf.restful("composite/sobjects", method="POST", json=body)

    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert sf.query("SELECT COUNT() FROM Case")["totalSize"] == 0


def test_expired_session_raises(sf: Salesforce, org: EmulatedOrg) -> None:
    httpx.post(
        f"{org.instance_url}/_emulator/tokens/expire",
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    )

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Case")


def test_api_usage_parsed(sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Case")

    usage = sf.api_usage["api-usage"]
    assert usage.used >= 1
    assert usage.total == 15000
