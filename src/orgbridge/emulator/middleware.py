"""The middleware in front of every REST call of an emulated org.

For ``/services/data/vNN.0/*`` and ``/services/apexrest/*`` it checks the API
version, authenticates the Bearer token, applies the configured latency, counts the
call against the daily limit, injects faults and adds ``Sforce-Limit-Info``. Every
request, REST or not, gets one DEBUG log line, and an unhandled exception becomes a
500 UNKNOWN_EXCEPTION array (and an ERROR log line), since it is an emulator bug.
"""

import asyncio
import json
import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgbridge.emulator.faults import REQUEST_LIMIT_EXCEEDED, SERVER_UNAVAILABLE
from orgbridge.emulator.oauth import InvalidSessionError
from orgbridge.emulator.runtime import OrgRuntime

logger = logging.getLogger(__name__)

_REST_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?:/(?P<rest>.*))?$")
_APEX_REST_PATH = re.compile(r"^/services/apexrest(?:/.*)?$")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FAULT_MESSAGES = {
    SERVER_UNAVAILABLE: (503, "Server temporarily unavailable, try again later."),
    REQUEST_LIMIT_EXCEEDED: (403, "TotalRequests Limit exceeded."),
}


def endpoint_family(path: str) -> str | None:
    """Name the counted endpoint family of a path, or None if it is not a REST call.

    ``/services/data/v62.0/sobjects/Case/500...`` is "sobjects", the bare
    ``/services/data/v62.0/`` is "resources" and any Apex REST path is "apexrest".
    """
    match = _REST_PATH.match(path)
    if match is not None:
        rest = match.group("rest") or ""
        return rest.split("/", 1)[0] or "resources"
    if _APEX_REST_PATH.match(path):
        return "apexrest"
    return None


class ApiMiddleware:
    """Authenticates, counts and faults REST calls; logs and guards every request."""

    def __init__(self, app: ASGIApp, runtime: OrgRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        status: list[int] = [0]

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self._serve(scope, receive, send_logged)
        finally:
            logger.debug("%s %s %d", scope["method"], scope["path"], status[0])

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        family = endpoint_family(scope["path"])
        if family is None:
            await self._guarded(scope, receive, send)
            return

        match = _REST_PATH.match(scope["path"])
        version = match.group("version") if match else None
        if version is not None and version not in self.runtime.config.api_versions:
            await self._reply(
                send, 404, "The requested resource does not exist", "NOT_FOUND"
            )
            return

        send = self._with_limit_info(send)
        try:
            session = self.runtime.oauth.authenticate(_header(scope, b"authorization"))
        except InvalidSessionError as exc:
            await self._reply(send, 401, exc.message, exc.error_code)
            return

        latency = self.runtime.faults.latency_seconds()
        if latency > 0:
            await asyncio.sleep(latency)
        if await self._rejected(send, family):
            return

        state = scope.setdefault("state", {})
        state["session"] = session
        state["api_version"] = version or max(self.runtime.config.api_versions)
        drop = (
            scope["method"] in _WRITE_METHODS
            and self.runtime.faults.drop_after_commit()
        )
        if drop:
            send = _dropping(send)
            logger.info(
                "dropping the response to %s %s", scope["method"], scope["path"]
            )
        await self._guarded(scope, receive, send)

    async def _rejected(self, send: Send, family: str) -> bool:
        """Apply the token-expiry fault, the daily limit and request faults."""
        faults = self.runtime.faults
        if faults.count_call_and_check_token_expiry():
            self.runtime.oauth.expire_access_tokens()
            error = InvalidSessionError.invalid_session()
            await self._reply(send, 401, error.message, error.error_code)
            return True

        counters = self.runtime.counters
        if counters.total_calls >= self.runtime.config.daily_api_limit:
            logger.info("daily API limit of %d reached", counters.total_calls)
            await self._reply(
                send, 403, "TotalRequests Limit exceeded.", REQUEST_LIMIT_EXCEEDED
            )
            return True
        counters.count_call(family)

        fault = faults.request_fault()
        if fault is None:
            return False
        status, message = _FAULT_MESSAGES[fault]
        logger.info("injected %s on a %s call", fault, family)
        await self._reply(send, status, message, fault)
        return True

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            await self._reply(
                send, 500, f"{type(exc).__name__}: {exc}", "UNKNOWN_EXCEPTION"
            )

    def _with_limit_info(self, send: Send) -> Send:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                usage = (
                    f"api-usage={self.runtime.counters.total_calls}"
                    f"/{self.runtime.config.daily_api_limit}"
                )
                headers = list(message.get("headers", []))
                headers.append((b"sforce-limit-info", usage.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_header

    @staticmethod
    async def _reply(send: Send, status: int, message: str, error_code: str) -> None:
        body = json.dumps([{"message": message, "errorCode": error_code}]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json;charset=UTF-8"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _dropping(send: Send) -> Send:
    """Wrap ``send`` so the answer is cut short: full headers, part of the body.

    The handler has committed by the time it answers. The client then gets a
    Content-Length larger than the body it receives, and the server closes the
    connection because the app returns without completing the response.
    """
    start: dict[str, Any] = {}
    body = bytearray()

    async def send_partial(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return

        status = 200 if start["status"] in (204, 304) else start["status"]
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body) + 1).encode("ascii")))
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send(
            {
                "type": "http.response.body",
                "body": bytes(body[: len(body) // 2]),
                "more_body": True,
            }
        )

    return send_partial


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
