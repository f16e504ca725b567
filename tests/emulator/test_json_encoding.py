"""Response encoding: encode_json must return the bytes json.dumps returns."""

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from orgbridge.emulator.rest.responses import encode_json


def _json_module(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


FLOATS = [
    0.0,
    -0.0,
    1.0,
    0.1,
    1 / 3,
    1e-4,
    9.99e-5,
    1e-5,
    -1.5e-7,
    5e-324,
    1e15,
    1e16,
    1.2345678901234568e17,
    1e21,
    2.5e300,
    1500000.5,
]
STRINGS = [
    "",
    "plain",
    'quote " and backslash \\ and slash /',
    "".join(chr(code) for code in range(0x20)),
    "\x7f\u2028\u2029",
    "é, 中文, emoji 😀",
    "e-mail",
    "version 10.00001",
]


@pytest.mark.parametrize("value", FLOATS, ids=repr)
def test_float_bytes(value: float) -> None:
    body = {"records": [{"Amount__c": value}], "value": value}

    assert encode_json(body) == _json_module(body)


@pytest.mark.parametrize("value", STRINGS, ids=repr)
def test_string_bytes(value: str) -> None:
    body = {value: [value, {"nested": value}]}

    assert encode_json(body) == _json_module(body)


def test_random_floats_bytes() -> None:
    generator = random.Random(7)
    values = [
        generator.random() * 10.0 ** generator.randint(-12, 20) for _ in range(5000)
    ]

    assert encode_json(values) == _json_module(values)


@pytest.mark.parametrize(
    "body",
    [
        2**64,
        -(2**63) - 1,
        {1: "integer key"},
        (1, "tuple"),
        [True, False, None, 0, -5, 2**63 - 1],
    ],
    ids=repr,
)
def test_other_values_bytes(body: Any) -> None:
    assert encode_json(body) == _json_module(body)


def test_unencodable_value_raises_type_error() -> None:
    # json.dumps rejects a datetime, and the encoder must not start accepting it.
    body = {"when": datetime(2024, 1, 1, tzinfo=UTC)}

    with pytest.raises(TypeError):
        encode_json(body)
