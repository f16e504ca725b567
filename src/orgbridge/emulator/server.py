"""Run emulated orgs on 127.0.0.1, each on a uvicorn server in a background thread.

``EmulatedOrg`` serves one org over HTTPS (and optionally plain HTTP) until stopped;
``EmulatedOrgSet`` starts several named orgs that share one CA, for the demo. Both
are context managers. The servers bind to 127.0.0.1 only.
"""

import asyncio
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

import uvicorn

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import OrgConfig
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.emulator.tls import TlsFiles, prepare_tls
from orgbridge.salesforce.datetimes import utc_now

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 15.0
GRACE_SECONDS = 0.5


class EmulatorStartError(RuntimeError):
    """The emulated org's server did not start; the message gives the reason."""


class EmulatedOrg:
    """One emulated org served over HTTPS on 127.0.0.1.

    ``port=0`` picks a free port; ``instance_url`` gives the one bound. With
    ``tls_dir=None`` the CA and certificates go to a temporary folder that ``stop``
    removes; pass a folder to keep the CA, and clients' trust in it, across restarts.
    """

    def __init__(
        self,
        config: OrgConfig,
        *,
        data_path: Path | None = None,
        port: int = 0,
        http_port: int | None = None,
        tls_dir: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.data_path = data_path
        self._port = port
        self._http_port = http_port
        self._tls_dir = tls_dir
        self._clock = clock
        self._owned_tls_dir: Path | None = None
        self._tls: TlsFiles | None = None
        self._runtime: OrgRuntime | None = None
        self._admin_token: str | None = None
        self._servers: list[uvicorn.Server] = []
        self._sockets: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._loop_error: BaseException | None = None

    @property
    def instance_url(self) -> str:
        """The org's HTTPS base URL, ``https://127.0.0.1:PORT``."""
        return f"https://{HOST}:{self._bound_port(0)}"

    @property
    def http_url(self) -> str | None:
        """The plain-HTTP base URL, if ``http_port`` was given."""
        if self._http_port is None:
            return None
        return f"http://{HOST}:{self._bound_port(1)}"

    @property
    def ca_bundle(self) -> Path:
        """The CA certificate (PEM) that verifies the HTTPS certificate."""
        return self._started_tls().ca_bundle

    @property
    def admin_token(self) -> str:
        """The bearer token of the admin API."""
        if self._admin_token is None:
            raise EmulatorStartError("the emulated org is not started")
        return self._admin_token

    @property
    def runtime(self) -> OrgRuntime:
        """The org's services (database, store, OAuth, counters)."""
        if self._runtime is None:
            raise EmulatorStartError("the emulated org is not started")
        return self._runtime

    def start(self) -> "EmulatedOrg":
        """Start serving; return once the org accepts connections."""
        if self._thread is not None:
            raise EmulatorStartError("the emulated org is already started")

        tls_dir = self._tls_dir
        if tls_dir is None:
            tls_dir = self._owned_tls_dir = Path(tempfile.mkdtemp(prefix="orgbridge-"))
        self._tls = prepare_tls(tls_dir)
        self._runtime = open_org(self.config, self.data_path, clock=self._clock)
        app = create_app(self._runtime)
        self._admin_token = app.state.admin_token

        try:
            self._bind_and_run(app)
        except BaseException:
            self.stop()
            raise
        logger.info("org %s serving at %s", self.config.name, self.instance_url)
        return self

    def stop(self) -> None:
        """Stop the servers, join their thread and close the org's database.

        Requests in progress get ``GRACE_SECONDS`` to finish; connections still
        open after that are closed.
        """
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            # Idle keep-alive TLS connections do not close until the client
            # replies to the TLS close, so after a short grace period the servers
            # stop without waiting for them.
            self._thread.join(GRACE_SECONDS)
            for server in self._servers:
                server.force_exit = True
            self._thread.join(STOP_TIMEOUT_SECONDS)
            if self._thread.is_alive():
                logger.error("org %s server thread did not stop", self.config.name)
            self._thread = None

        for sock in self._sockets:
            sock.close()
        self._sockets = []
        self._servers = []
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        if self._owned_tls_dir is not None:
            shutil.rmtree(self._owned_tls_dir, ignore_errors=True)
            self._owned_tls_dir = None
        logger.info("org %s stopped", self.config.name)

    def __enter__(self) -> "EmulatedOrg":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _bind_and_run(self, app: object) -> None:
        tls = self._started_tls()
        https = _listening_socket(self._port)
        self._sockets.append(https)
        self._servers.append(
            _server(app, ssl_certfile=tls.server_cert, ssl_keyfile=tls.server_key)
        )
        if self._http_port is not None:
            self._sockets.append(_listening_socket(self._http_port))
            self._servers.append(_server(app))

        self._thread = threading.Thread(
            target=self._run_loop, name=f"emulator-{self.config.name}", daemon=True
        )
        self._thread.start()
        self._wait_started()

    def _run_loop(self) -> None:
        async def serve_all() -> None:
            await asyncio.gather(
                *(
                    server.serve(sockets=[sock])
                    for server, sock in zip(self._servers, self._sockets, strict=True)
                )
            )

        try:
            asyncio.run(serve_all())
        except BaseException as exc:  # reported by start(), which is waiting
            self._loop_error = exc
            logger.exception("org %s server failed", self.config.name)

    def _wait_started(self) -> None:
        thread = self._thread
        assert thread is not None
        deadline = threading.Event()
        waited = 0.0
        while not all(server.started for server in self._servers):
            if not thread.is_alive() or waited > START_TIMEOUT_SECONDS:
                raise EmulatorStartError(
                    f"org {self.config.name} did not start within"
                    f" {START_TIMEOUT_SECONDS:.0f} s: {self._loop_error!r}"
                )
            deadline.wait(0.01)
            waited += 0.01

    def _bound_port(self, index: int) -> int:
        if len(self._sockets) <= index:
            raise EmulatorStartError("the emulated org is not started")
        port: int = self._sockets[index].getsockname()[1]
        return port

    def _started_tls(self) -> TlsFiles:
        if self._tls is None:
            raise EmulatorStartError("the emulated org is not started")
        return self._tls


class EmulatedOrgSet:
    """Several named emulated orgs, started together and sharing one CA."""

    def __init__(
        self,
        configs: Mapping[str, OrgConfig],
        *,
        tls_dir: Path | None = None,
        data_dir: Path | None = None,
        ports: Mapping[str, int] | None = None,
    ) -> None:
        self._owned_tls_dir: Path | None = None
        if tls_dir is None:
            tls_dir = self._owned_tls_dir = Path(tempfile.mkdtemp(prefix="orgbridge-"))
        ports = ports or {}
        self.orgs = {
            name: EmulatedOrg(
                config,
                data_path=None if data_dir is None else data_dir / f"{name}.sqlite",
                port=ports.get(name, 0),
                tls_dir=tls_dir,
            )
            for name, config in configs.items()
        }

    def start(self) -> "EmulatedOrgSet":
        """Start every org; if one fails, stop the ones already started."""
        try:
            for org in self.orgs.values():
                org.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every started org and remove the temporary CA folder, if any."""
        for org in self.orgs.values():
            org.stop()
        if self._owned_tls_dir is not None:
            shutil.rmtree(self._owned_tls_dir, ignore_errors=True)
            self._owned_tls_dir = None

    def __getitem__(self, name: str) -> EmulatedOrg:
        return self.orgs[name]

    def __enter__(self) -> "EmulatedOrgSet":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _listening_socket(port: int) -> socket.socket:
    # The explicit IPPROTO_TCP is copied to every accepted socket, and asyncio sets
    # TCP_NODELAY only on sockets whose proto is IPPROTO_TCP. With proto 0, Nagle's
    # algorithm delays a response body until the client's delayed ACK of the
    # headers, which adds about 40 ms to every keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise EmulatorStartError(f"cannot bind {HOST}:{port}: {exc}") from exc
    sock.listen(128)
    return sock


def _server(
    app: object,
    *,
    ssl_certfile: Path | None = None,
    ssl_keyfile: Path | None = None,
) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        lifespan="off",
        log_config=None,
        access_log=False,
        ssl_certfile=None if ssl_certfile is None else str(ssl_certfile),
        ssl_keyfile=None if ssl_keyfile is None else str(ssl_keyfile),
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)
