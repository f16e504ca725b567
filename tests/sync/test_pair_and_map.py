"""Pair config parsing and field mapping, without any org."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orgbridge.config import ConfigError, load_config
from orgbridge.sync.errors import MappingError, PairConfigError
from orgbridge.sync.map import Mapper, payload_digest
from orgbridge.sync.pair import DEFAULT_FIELDS, PairConfig, parse_pair_config

ORGS = {"a", "b"}
SOURCE_ID = "500A0000000001AAAA"


def pair(**table: Any) -> PairConfig:
    return parse_pair_config("p", {"source": "a", "target": "b", **table}, ORGS)


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "Id": SOURCE_ID,
        "CreatedDate": "2024-01-01T10:00:00.000+0000",
        "SystemModstamp": "2024-01-01T10:05:00.000+0000",
    }
    return {**base, **fields}


def test_pair_defaults() -> None:
    config = pair()
    assert config.mode == "created"
    assert config.cursor_field == "CreatedDate"
    assert config.external_id_field == "Source_Case_Id__c"
    assert list(config.fields) == list(DEFAULT_FIELDS)
    assert config.batch_size == 200
    assert config.query_batch_size == 2000
    assert config.lookback_seconds == 300
    assert config.min_api_share == pytest.approx(0.10)
    assert config.concurrency == 4
    assert config.start is None


def test_pair_changes_mode_follows_modstamp() -> None:
    assert pair(mode="changes").cursor_field == "SystemModstamp"


def test_pair_start_parses_iso_datetime() -> None:
    assert pair(start="2024-03-01T00:00:00Z").start == datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"target": "c"}, "target"),
        ({"mode": "all"}, "mode"),
        ({"batch_size": 201}, "batch_size"),
        ({"query_batch_size": 100}, "query_batch_size"),
        ({"min_api_share": 1.5}, "min_api_share"),
        ({"concurrency": 0}, "concurrency"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2024-03-01T00:00:00"}, "start"),
        ({"fields": ["Id", "Subject"]}, "fields"),
        ({"fields": {"Subject": "X__c", "Description": "X__c"}}, "fields"),
        ({"fields": ["CaseNumber"]}, "fields"),
        ({"constants": {"Origin": [1]}}, "constants.Origin"),
        ({"value_maps": {"Status": {"A": 1}}}, "value_maps.Status"),
        ({"write_back": {"field": "X__c", "value": "Name"}}, "write_back"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_pair_rejects_invalid_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(PairConfigError, match=key.replace(".", r"\.")):
        pair(**table)


def test_map_copies_renames_and_sets_external_id() -> None:
    mapper = Mapper(pair(fields={"Subject": "Subject", "Description": "Details__c"}))
    mapped = mapper.map(row(Subject="Printer", Description="On fire"))

    assert mapped.payload == {
        "Subject": "Printer",
        "Details__c": "On fire",
        "Source_Case_Id__c": SOURCE_ID,
    }
    assert mapped.cursor_ts == "2024-01-01T10:00:00.000+0000"
    assert mapped.source_modstamp == "2024-01-01T10:05:00.000+0000"
    assert mapped.payload_hash == payload_digest(mapped.payload)


def test_map_query_fields_include_cursor_and_modstamp() -> None:
    mapper = Mapper(pair(fields=["Subject"], mode="changes"))
    assert mapper.query_fields == ["Id", "SystemModstamp", "Subject"]


def test_map_applies_defaults_value_maps_constants() -> None:
    config = pair(
        fields=["Status", "Origin", "Priority"],
        defaults={"Priority": "Medium"},
        value_maps={"Status": {"Waiting": "Working", "Dropped": ""}},
        constants={"Origin": "Org A"},
    )
    mapper = Mapper(config)

    first = mapper.map(row(Status="Waiting", Origin="Web", Priority=None))
    second = mapper.map(row(Status="Dropped", Origin="Web", Priority="High"))
    third = mapper.map(row(Status="Unknown", Origin=None, Priority="Low"))

    assert first.payload["Status"] == "Working"
    assert first.payload["Priority"] == "Medium"
    assert first.payload["Origin"] == "Org A"
    assert second.payload["Status"] is None
    assert second.payload["Priority"] == "High"
    assert third.payload["Status"] == "Unknown"


def test_map_rejects_nested_value() -> None:
    mapper = Mapper(pair(fields=["Subject"]))
    with pytest.raises(MappingError, match="compound"):
        mapper.map(row(Subject={"street": "x"}))


def test_map_rejects_value_map_on_non_text() -> None:
    mapper = Mapper(
        pair(fields=["IsEscalated"], value_maps={"IsEscalated": {"a": "b"}})
    )
    with pytest.raises(MappingError, match="text values"):
        mapper.map(row(IsEscalated=True))


def test_map_checks_constant_type_against_describe() -> None:
    describe = {"fields": [{"name": "IsEscalated", "type": "boolean"}]}
    mapper = Mapper(
        pair(fields=["Subject"], constants={"IsEscalated": "yes"}), describe
    )

    with pytest.raises(MappingError) as caught:
        mapper.map(row(Subject="x"))
    assert caught.value.field == "IsEscalated"
    assert caught.value.error_code == "MAPPING_ERROR"
    assert "boolean" in str(caught.value)


def test_load_config_resolves_state_and_names_keys(tmp_path: Path) -> None:
    path = tmp_path / "orgbridge.toml"
    path.write_text(
        """
[orgs.a]
auth = "access_token"
instance_url = "https://a.example.com"
access_token = { env = "A_TOKEN" }

[orgs.b]
auth = "access_token"
instance_url = "https://b.example.com"
access_token = { env = "B_TOKEN" }

[pairs.a_to_b]
source = "a"
target = "b"
fields = ["Subject"]
"""
    )
    config = load_config(path)

    assert set(config.orgs) == {"a", "b"}
    assert config.pairs["a_to_b"].fields == {"Subject": "Subject"}
    assert config.state_url == f"sqlite:///{tmp_path}/.orgbridge/state.sqlite"

    path.write_text(path.read_text().replace('target = "b"', 'target = "z"'))
    with pytest.raises(ConfigError, match=r"\[pairs\.a_to_b\] target: unknown org"):
        load_config(path)


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_payload_digest_is_canonical() -> None:
    digest = payload_digest({"Subject": "Drucker läuft", "Amount__c": Decimal("1.50")})

    assert digest == payload_digest({"Amount__c": "1.50", "Subject": "Drucker läuft"})
    assert digest != payload_digest({"Amount__c": "1.5", "Subject": "Drucker läuft"})
    assert payload_digest({"a": {"y": 1, "x": 2}}) == payload_digest(
        {"a": {"x": 2, "y": 1}}
    )


def test_payload_digest_takes_integers_beyond_64_bits() -> None:
    big = 2**70

    assert payload_digest({"Big__c": big}) == payload_digest({"Big__c": big})
    assert payload_digest({"Big__c": big}) != payload_digest({"Big__c": big + 1})
