"""``orgbridge emulator``: serve emulated Salesforce orgs on 127.0.0.1.

One org from ``--config`` (or from ``--client-id``/``--client-secret``), or a named
set with ``--org NAME=CONFIG.toml`` repeated. The command prints each org's
instance URL, the CA bundle to trust and the admin token once the orgs accept
requests, then serves until SIGINT or SIGTERM.
"""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from orgbridge.emulator.config import (
    OrgConfig,
    OrgConfigError,
    load_org_config,
    quick_org_config,
)
from orgbridge.emulator.server import EmulatedOrg, EmulatedOrgSet, EmulatorStartError

logger = logging.getLogger(__name__)


@click.command("emulator")
@click.option(
    "--port",
    type=int,
    default=8701,
    show_default=True,
    help="HTTPS port of the org (0 picks a free port).",
)
@click.option(
    "--http-port", type=int, default=None, help="Also serve plain HTTP on this port."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Org setup TOML file (users, connected apps, fields, faults).",
)
@click.option("--client-id", help="Consumer key of a client-credentials app.")
@click.option(
    "--client-secret",
    help="Consumer secret of that app. It shows in the process list; "
    "put it in --config instead for anything but a quick try.",
)
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    help="SQLite file that keeps the org's records (default: memory).",
)
@click.option(
    "--tls-dir",
    type=click.Path(path_type=Path),
    help="Folder for the CA (ca.pem) and certificate; reused across runs.",
)
@click.option(
    "--org",
    "named",
    multiple=True,
    metavar="NAME=CONFIG.toml",
    help="Serve a named org from a setup file; repeat for several "
    "(each gets a free port; --data is then a folder).",
)
def emulator(
    port: int,
    http_port: int | None,
    config_path: Path | None,
    client_id: str | None,
    client_secret: str | None,
    data_path: Path | None,
    tls_dir: Path | None,
    named: tuple[str, ...],
) -> None:
    """Serve emulated Salesforce orgs on 127.0.0.1 until interrupted."""
    try:
        if named:
            _serve_set(named, data_path, tls_dir)
        else:
            config = _single_config(config_path, client_id, client_secret)
            org = EmulatedOrg(
                config,
                data_path=data_path,
                port=port,
                http_port=http_port,
                tls_dir=tls_dir,
            )
            with org:
                _print_org(None, org)
                _wait_for_signal()
    except (OrgConfigError, EmulatorStartError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("emulator stopped")


def _single_config(
    config_path: Path | None, client_id: str | None, client_secret: str | None
) -> OrgConfig:
    if config_path is not None:
        if client_id is not None or client_secret is not None:
            raise click.UsageError("use either --config or --client-id, not both")
        return load_org_config(config_path)
    if client_secret is not None and client_id is None:
        raise click.UsageError("--client-secret needs --client-id")
    return quick_org_config(client_id, client_secret)


def _serve_set(
    named: tuple[str, ...],
    data_dir: Path | None,
    tls_dir: Path | None,
) -> None:
    configs: dict[str, OrgConfig] = {}
    for entry in named:
        name, separator, path = entry.partition("=")
        if not separator or not name or not path:
            raise click.UsageError(f"--org expects NAME=CONFIG.toml, got {entry!r}")
        configs[name] = load_org_config(Path(path))
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)

    with EmulatedOrgSet(configs, tls_dir=tls_dir, data_dir=data_dir) as orgs:
        for name in configs:
            _print_org(name, orgs[name])
        _wait_for_signal()


def _print_org(name: str | None, org: EmulatedOrg) -> None:
    """Print how to reach an org: ``instance URL: URL``, or with several orgs
    ``org NAME: instance URL URL``.
    """
    lines = [("instance URL", org.instance_url)]
    if org.http_url is not None:
        lines.append(("plain HTTP URL", org.http_url))
    lines += [("CA bundle", str(org.ca_bundle)), ("admin token", org.admin_token)]
    for label, value in lines:
        if name is None:
            click.echo(f"{label}: {value}")
        else:
            click.echo(f"org {name}: {label} {value}")


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM, then restore the previous handlers."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d received, stopping", signum)
        stop.set()

    previous = {
        signum: signal.signal(signum, handle)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


COMMANDS = [emulator]
