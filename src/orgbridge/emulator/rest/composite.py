"""The composite resource: up to 25 subrequests in one call, with references.

Subrequests run in order, in-process, through the same operations as direct calls
(so they count as one API call in all). ``@{ref.field}`` and
``@{ref.records[0].Id}`` in a later subrequest's URL or body are replaced by values
from an earlier subrequest's answer. With ``allOrNone`` a failure rolls back every
subrequest; the others then report ALL_OR_NONE_OPERATION_ROLLED_BACK, and those not
run yet PROCESSING_HALTED.
"""

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import ApiFailure, Result, require_object

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
_PATH = re.compile(r"^/services/data/v(\d+\.\d)/(.*)$")

Dispatch = Callable[[Call], Result]


class _RollBack(Exception):
    """Raised inside the outer transaction to undo an allOrNone composite."""


def run(call: Call, dispatch: Dispatch) -> Result:
    """POST composite: run each subrequest and collect its answer."""
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
    all_or_none = bool(body.get("allOrNone", False))

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
    try:
        method = str(sub["method"]).upper()
        url = _resolve(str(sub["url"]), results)
        body = _resolve_body(sub.get("body"), results)
    except (KeyError, LookupError) as error:
        return _answer(
            reference_id,
            ApiFailure(
                400, "INVALID_REFERENCE", f"invalid reference or missing key: {error}"
            ).result(),
        )

    parts = urlsplit(url)
    match = _PATH.match(parts.path)
    if match is None:
        return _answer(
            reference_id,
            ApiFailure(
                400, "INVALID_URL", f"unsupported subrequest URL: {parts.path}"
            ).result(),
        )

    sub_call = Call(
        runtime=call.runtime,
        api_version=match.group(1),
        user=call.user,
        instance_url=call.instance_url,
        method=method,
        path=unquote(match.group(2)),
        params=dict(parse_qsl(parts.query)),
        headers={k.lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()},
        body=body,
    )
    result = dispatch(sub_call)
    if reference_id and result.status < 400:
        results[reference_id] = result.body
    return _answer(reference_id, result)


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
