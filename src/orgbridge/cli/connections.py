"""``orgbridge orgs`` (check every connection) and ``orgbridge login NAME``.

Exit codes as for the sync commands: 0 all good, 1 ``orgs`` found a connection
that fails, 2 config or usage error (one ``error:`` line on stderr).
"""

import asyncio
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import click
from click.core import ParameterSource

from orgbridge.cli.options import GlobalOptions
from orgbridge.cli.output import fail
from orgbridge.config import DEFAULT_CONFIG_PATH, AppConfig, ConfigError, load_config
from orgbridge.salesforce.auth.login import login as run_login
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.errors import SalesforceError
from orgbridge.salesforce.retry import RetryPolicy

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_CONFIG_PATH,
    show_default=True,
    help="The orgbridge config file that defines [orgs.NAME] connections.",
)


def load_orgs_config(config_path: Path) -> AppConfig:
    """Read the config file; exit 2 with one error line when it is invalid.

    ``orgbridge --config FILE orgs`` reads FILE, as the sync commands do, unless
    the command's own --config is given.
    """
    ctx = click.get_current_context()
    group = ctx.find_object(GlobalOptions)
    if group is not None and (
        ctx.get_parameter_source("config_path") == ParameterSource.DEFAULT
    ):
        config_path = group.config_path
    try:
        return load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))


@dataclass(frozen=True)
class OrgStatus:
    """The result of checking one connection for ``orgbridge orgs``."""

    name: str
    auth: str
    username: str = ""
    org_id: str = ""
    instance_url: str = ""
    api_version: str = ""
    daily_calls_left: str = ""
    error: str = ""


async def check_connection(connection: ConnectionConfig) -> OrgStatus:
    """Log in, read the identity and the daily API limit of one connection."""
    status = OrgStatus(connection.name, connection.auth.METHOD)
    try:
        async with SalesforceClient(
            connection, retry=RetryPolicy(max_attempts=2)
        ) as client:
            identity = await client.identity()
            limits = await client.limits()
            token, _ = await client.tokens.current()
    except SalesforceError as exc:
        return OrgStatus(connection.name, connection.auth.METHOD, error=str(exc))

    daily = limits.get("DailyApiRequests", {})
    left = f"{daily.get('Remaining', '?')}/{daily.get('Max', '?')}"
    return OrgStatus(
        name=status.name,
        auth=status.auth,
        username=str(
            identity.get("username") or identity.get("preferred_username") or "?"
        ),
        org_id=str(identity.get("organization_id", "?")),
        instance_url=token.instance_url,
        api_version=connection.api_version,
        daily_calls_left=left,
    )


def _print_table(statuses: list[OrgStatus]) -> None:
    headers = ("NAME", "AUTH", "USER", "ORG ID", "INSTANCE", "API", "DAILY CALLS LEFT")
    rows = [
        (
            s.name,
            s.auth,
            s.username,
            s.org_id,
            s.instance_url,
            s.api_version,
            s.daily_calls_left,
        )
        for s in statuses
        if not s.error
    ]
    # A list, not varargs: with every connection failed there are no rows.
    widths = [max([len(headers[i]), *(len(row[i]) for row in rows)]) for i in range(7)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    for status in statuses:
        if status.error:
            click.echo(f"{status.name} ({status.auth}): FAILED: {status.error}")


@click.command("orgs")
@CONFIG_OPTION
def orgs_command(config_path: Path) -> None:
    """Check every connection: who it logs in as and the API calls left today."""
    config = load_orgs_config(config_path)
    if not config.orgs:
        fail(f"{config.path or config_path} defines no [orgs.NAME] tables")

    async def check_all() -> list[OrgStatus]:
        return list(
            await asyncio.gather(*(check_connection(c) for c in config.orgs.values()))
        )

    statuses = asyncio.run(check_all())
    _print_table(statuses)
    if any(status.error for status in statuses):
        raise SystemExit(1)


@click.command("login")
@click.argument("name")
@CONFIG_OPTION
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the http://127.0.0.1:PORT/OauthRedirect callback "
    "[default: callback_port of the connection, 1717].",
)
@click.option(
    "--no-browser",
    is_flag=True,
    help="Only print the login URL; do not try to open a browser.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the browser login to finish.",
)
def login_command(
    name: str, config_path: Path, port: int | None, no_browser: bool, timeout: float
) -> None:
    """Log in to connection NAME in a browser and store its refresh token."""
    config = load_orgs_config(config_path)
    connection = config.orgs.get(name)
    if connection is None:
        known = ", ".join(sorted(config.orgs)) or "none"
        fail(f"no connection {name!r} in {config.path or config_path}; known: {known}")

    def announce(url: str) -> None:
        click.echo(f"Open this URL to log in to {name}:\n\n  {url}\n", err=True)

    opener = None if no_browser else webbrowser.open
    try:
        result = asyncio.run(
            run_login(
                connection,
                port=port,
                announce=announce,
                open_browser=opener,
                timeout=timeout,
            )
        )
    except SalesforceError as exc:
        fail(str(exc))
    click.echo(f"Logged in to {name}; refresh token stored in {result.stored_in}")


COMMANDS = [orgs_command, login_command]
