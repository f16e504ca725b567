"""The composite resource: up to 25 subrequests in one call, with references.

Subrequests run in order, in-process, through the same operations as direct calls
(so they count as one API call in all). ``@{ref.field}`` and
``@{ref.records[0].Id}`` in a later subrequest's URL or body are replaced by values
from an earlier subrequest's response. With ``allOrNone`` a failure rolls back every
subrequest; the others then report ALL_OR_NONE_OPERATION_ROLLED_BACK, and those not
run yet PROCESSING_HALTED.
"""

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.collections import all_or_none_flag
from orgbridge.emulator.rest.responses import ApiFailure, Result, require_object

MAX_SUBREQUESTS = 25
SUBREQUEST_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
_PATH = re.compile(r"^/services/data/v(\d+\.\d)/(.*)$")

Dispatch = Callable[[Call], Result]


class _RollBack(Exception):
    """Raised inside the outer transaction to undo an allOrNone composite."""


def run(call: Call, dispatch: Dispatch) -> Result:
    """POST composite: run each subrequest and collect its response."""
    if call.method != "POST":
        raise ApiFailure(
            405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed. Allowed are POST"
        )
    body = require_object(call.body)
    subrequests = body.get("compositeRequest")
    if not isinstance(subrequests, list) or not subrequests:
        raise ApiFailure(
            400, "JSON_PARSER_ERROR", "compositeRequest: expected a non-empty array"
        )
    if len(subrequests) > MAX_SUBREQUESTS:
        raise ApiFailure(
            400,
            "INVALID_BATCH_REQUEST",
            f"The composite request contains more than {MAX_SUBREQUESTS} subrequests",
        )
    all_or_none = all_or_none_flag(body)

    answers: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    try:
        with call.runtime.store.transaction():
            for index, sub in enumerate(subrequests):
                answer = _run_one(call, dispatch, sub, results)
                answers.append(answer)
                if all_or_none and answer["httpStatusCode"] >= 400:
                    answers.extend(_halted(subrequests[index + 1 :]))
                    raise _RollBack
    except _RollBack:
        answers = [_rolled_back(a) if a["httpStatusCode"] < 400 else a for a in answers]
    return Result(200, {"compositeResponse": answers})


def _run_one(
    call: Call, dispatch: Dispatch, sub: Any, results: dict[str, Any]
) -> dict[str, Any]:
    if not isinstance(sub, dict):
        raise ApiFailure(400, "JSON_PARSER_ERROR", "each subrequest must be an object")
    reference_id = str(sub.get("referenceId", ""))
    method, url, headers = sub.get("method"), sub.get("url"), sub.get("httpHeaders")
    if not isinstance(method, str) or method.upper() not in SUBREQUEST_METHODS:
        return _failed(reference_id, "METHOD_NOT_ALLOWED", f"invalid method {method}")
    if not isinstance(url, str):
        return _failed(reference_id, "INVALID_URL", "url: expected a string")
    if not isinstance(headers, (dict, type(None))):
        return _failed(reference_id, "JSON_PARSER_ERROR", "httpHeaders: not an object")
    try:
        url = _resolve(url, results)
        body = _resolve_body(sub.get("body"), results)
    except (LookupError, TypeError, ValueError) as error:
        return _failed(
            reference_id,
            "INVALID_REFERENCE",
            f"Invalid reference specified: {error}. A reference names the "
            "referenceId of an earlier successful subrequest and a field of its "
            "answer.",
        )

    parts = urlsplit(url)
    match = _PATH.match(parts.path)
    if match is None or not _supported(match.group(2)):
        return _failed(
            reference_id,
            "INVALID_URL",
            f"unsupported subrequest URL: {parts.path}; composite runs sObject, "
            "query, queryAll and sObject Collections resources",
        )

    sub_call = Call(
        runtime=call.runtime,
        api_version=match.group(1),
        user=call.user,
        instance_url=call.instance_url,
        method=method.upper(),
        path=unquote(match.group(2)),
        params=dict(parse_qsl(parts.query)),
        headers={str(k).lower(): str(v) for k, v in (headers or {}).items()},
        body=body,
    )
    result = dispatch(sub_call)
    if reference_id and result.status < 400:
        results[reference_id] = result.body
    return _answer(reference_id, result)


def _supported(path: str) -> bool:
    family = path.split("/", 1)[0]
    if family == "composite":
        return path.startswith("composite/sobjects")
    return family in ("sobjects", "query", "queryAll")


def _failed(reference_id: str, error_code: str, message: str) -> dict[str, Any]:
    return _answer(reference_id, ApiFailure(400, error_code, message).result())


def _answer(reference_id: str, result: Result) -> dict[str, Any]:
    return {
        "body": result.body,
        "httpHeaders": result.headers,
        "httpStatusCode": result.status,
        "referenceId": reference_id,
    }


def _resolve(text: str, results: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value: Any = results[match.group(1)]
        for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", match.group(2)):
            value = value[step[0]] if step[0] else value[int(step[1])]
        return str(value)

    return _REFERENCE.sub(replace, text)


def _resolve_body(body: Any, results: dict[str, Any]) -> Any:
    if body is None:
        return None
    return json.loads(_resolve(json.dumps(body), results))


def _halted(remaining: list[Any]) -> list[dict[str, Any]]:
    return [
        _answer(
            str(sub.get("referenceId", "")) if isinstance(sub, dict) else "",
            Result(
                400,
                [
                    {
                        "errorCode": "PROCESSING_HALTED",
                        "message": "The transaction was rolled back since another "
                        "operation in the same transaction failed.",
                    }
                ],
            ),
        )
        for sub in remaining
    ]


def _rolled_back(answer: dict[str, Any]) -> dict[str, Any]:
    return answer | {
        "httpStatusCode": 400,
        "httpHeaders": {},
        "body": [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": "The transaction was rolled back since another operation "
                "in the same transaction failed.",
            }
        ],
    }
