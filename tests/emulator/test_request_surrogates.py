"""Request bodies: lone surrogate escapes are rejected, paired ones are accepted."""

from typing import Any

import pytest

from orgbridge.emulator.rest.responses import ApiFailure, parse_json_body

BIG = b"123456789012345678901234567890"
DEEP = 300


def _nested(text: bytes) -> bytes:
    return b"[" * DEEP + text + b"]" * DEEP


@pytest.mark.parametrize(
    "raw",
    [
        b'{"Subject": "\\ud800"}',
        b'{"\\udc00": 1}',
        b'{"records": [{"Subject": "x\\ud83d"}]}',
        b'{"Subject": "\\ud800\\ud800"}',
        # orjson cannot encode these bodies, so the json module checks them.
        b'{"a": "\\ud83d\\ude00", "n": ' + BIG + b', "b": "\\udfff"}',
        _nested(b'"\\udfff"'),
    ],
)
def test_lone_surrogate_rejected(raw: bytes) -> None:
    with pytest.raises(ApiFailure) as caught:
        parse_json_body(raw, "application/json")

    assert caught.value.status == 400
    assert caught.value.error_code == "JSON_PARSER_ERROR"
    assert "lone surrogate" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"Subject": "\\ud83d\\ude00 down"}', {"Subject": "😀 down"}),
        (b'{"Subject": "\\\\ud800"}', {"Subject": "\\ud800"}),
        (b'{"a": "\\ud83d\\ude00", "n": ' + BIG + b"}", {"a": "😀", "n": int(BIG)}),
    ],
)
def test_paired_surrogates_accepted(raw: bytes, expected: dict[str, Any]) -> None:
    assert parse_json_body(raw, "application/json") == expected


def test_deep_paired_surrogates_accepted() -> None:
    body = parse_json_body(_nested(b'"\\ud83d\\ude00"'), None)

    for _ in range(DEEP):
        assert isinstance(body, list)
        (body,) = body
    assert body == "😀"
