"""The demo: two emulated orgs, a few hundred Cases, and orgbridge's commands on them.

Every step runs a real ``orgbridge`` command against a real config file, the one a
user would write for their own orgs, and prints it before its output. At the end the
demo checks its own result: every Case of Org A is in Org B exactly once.
"""

import asyncio
import dataclasses
import logging
import os
import secrets
import shutil
import ssl
import string
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orgbridge.config import load_config
from orgbridge.demo.cases import CasePicklists, generate_cases
from orgbridge.demo.keys import write_jwt_key_pair
from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig, load_org_config
from orgbridge.emulator.server import EmulatedOrg, EmulatedOrgSet
from orgbridge.salesforce.client import SalesforceClient

# The name of the variable that carries the secret, not a secret.
SECRET_VARIABLE = "ORGBRIDGE_DEMO_A_SECRET"  # noqa: S105
SOURCE_PICKLISTS = CasePicklists(
    status=("New", "Working", "Escalated", "Closed"),
    origin=("Phone", "Email", "Web", "Chat"),
    priority=("Critical", "High", "Medium", "Low"),
)
# Cases given values that Org B does not know and the first config does not map.
ON_HOLD_EVERY = 50
SOCIAL_EVERY = 97
FIXED_VALUE_MAPS = """
[pairs.cases.value_maps.Origin]
"Social" = "Web"
"""
FIXED_STATUS_LINE = '"On Hold" = "Waiting on Customer"\n'


class DemoError(Exception):
    """The demo's own check of its result failed."""


def run_demo(workdir: Path, *, cases: int, console: Console) -> None:
    """Run the whole demo in ``workdir``; raise DemoError if its check fails."""
    # The config names files by absolute path, so it reads the same from any folder.
    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)

    source_secret = secrets.token_urlsafe(24)
    os.environ[SECRET_VARIABLE] = source_secret
    key_path, certificate = write_jwt_key_pair(workdir, "orgbridge-demo")
    configs = {
        "org-a": _source_org(source_secret),
        "org-b": _target_org(certificate),
    }

    _quiet_servers()
    console.rule("[bold]orgbridge demo")
    console.print("Starting two emulated orgs on 127.0.0.1 ...")
    with EmulatedOrgSet(configs, tls_dir=workdir / "tls") as orgs:
        org_a, org_b = orgs["org-a"], orgs["org-b"]
        config_path = _write_config(workdir, org_a, org_b, key_path)
        console.print(f"  Org A (source): {org_a.instance_url}")
        console.print(f"  Org B (target): {org_b.instance_url}")
        console.print(f"  config file:    {config_path}\n", soft_wrap=True)

        _step(console, f"Fill Org A with {cases} realistic Cases")
        asyncio.run(_create_source_cases(config_path, 0, cases))

        _step(console, "Log in to both orgs")
        _invoke(console, ["orgs", "--config", str(config_path)])
        _step(console, "Preflight: compare the mapping with both orgs' metadata")
        _invoke(console, ["check", "--config", str(config_path)])

        _step(console, "Sync: every new Case in A is upserted into B")
        _reset_counters(org_a, org_b)
        _invoke(console, ["run", "--config", str(config_path)])
        _print_summary(console, org_a, org_b)

        _step(console, "Dead letters, with Salesforce's reasons")
        _invoke(console, ["dead-letters", "list", "--config", str(config_path)])

        _step(console, "Add value maps for the rejected values and retry")
        _add_value_maps(config_path, console)
        _invoke(
            console, ["dead-letters", "retry", "--all", "--config", str(config_path)]
        )

        _step(console, "Create 25 more Cases in A and run again: only they move")
        asyncio.run(_create_source_cases(config_path, cases, 25))
        _reset_counters(org_a, org_b)
        _invoke(console, ["run", "--config", str(config_path)])
        _print_summary(console, org_a, org_b)

        _step(console, "Status")
        _invoke(console, ["status", "--config", str(config_path)])

        _step(console, "Check: every Case of A is in B exactly once")
        asyncio.run(_verify(config_path, console))

    console.rule("[bold green]demo finished: both orgs stopped")


def _quiet_servers() -> None:
    # The orgs run in this process; their request logs would drown orgbridge's own.
    for name in ("orgbridge.emulator", "uvicorn", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _source_org(client_secret: str) -> OrgConfig:
    config = _packaged_org("org-a.toml")
    app = ConnectedAppConfig(
        name="orgbridge",
        client_id="orgbridge-demo-a",
        client_secret=client_secret,
        allowed_flows=frozenset({"client_credentials"}),
        run_as="integration@org-a.example",
    )
    return dataclasses.replace(config, connected_apps=(app,))


def _target_org(certificate: str) -> OrgConfig:
    config = _packaged_org("org-b.toml")
    app = ConnectedAppConfig(
        name="orgbridge",
        client_id="orgbridge-demo-b",
        allowed_flows=frozenset({"jwt_bearer"}),
        jwt_certificate_pem=certificate,
        preauthorized_users=("integration@org-b.example",),
    )
    return dataclasses.replace(config, connected_apps=(app,))


def _packaged_org(name: str) -> OrgConfig:
    with resources.as_file(resources.files("orgbridge.demo") / name) as path:
        return load_org_config(path)


def _write_config(
    workdir: Path, org_a: EmulatedOrg, org_b: EmulatedOrg, key_path: Path
) -> Path:
    template = resources.files("orgbridge.demo").joinpath("orgbridge.toml")
    text = string.Template(template.read_text(encoding="utf-8")).substitute(
        a_url=org_a.instance_url,
        b_url=org_b.instance_url,
        ca_bundle=str(org_a.ca_bundle),
        private_key=str(key_path),
    )
    path = workdir / "orgbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _demo_cases(start: int, count: int) -> list[dict[str, Any]]:
    records = list(generate_cases(count, SOURCE_PICKLISTS, start=start))
    for offset, record in enumerate(records):
        index = start + offset
        if index % ON_HOLD_EVERY == 3:
            record["Status"] = "On Hold"
        if index % SOCIAL_EVERY == 5:
            record["Origin"] = "Social"
    return records


async def _create_source_cases(config_path: Path, start: int, count: int) -> None:
    config = load_config(config_path)
    async with SalesforceClient(config.orgs["a"]) as client:
        results = await client.create_many("Case", _demo_cases(start, count))
    failed = [result for result in results if not result.success]
    if failed:
        raise DemoError(f"{len(failed)} demo Cases were rejected by Org A: {failed[0]}")


def _reset_counters(*orgs: EmulatedOrg) -> None:
    for org in orgs:
        _admin(org, "POST", "/_emulator/counters/reset")


def _admin(org: EmulatedOrg, method: str, path: str) -> dict[str, Any]:
    response = httpx.request(
        method,
        org.instance_url + path,
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    )
    response.raise_for_status()
    return response.json() if response.content else {}


def _print_summary(console: Console, org_a: EmulatedOrg, org_b: EmulatedOrg) -> None:
    table = Table(title="API calls, as counted by each org")
    table.add_column("org")
    table.add_column("API calls", justify="right")
    table.add_column("records written", justify="right")
    for label, org in (("A (source)", org_a), ("B (target)", org_b)):
        counters = _admin(org, "GET", "/_emulator/counters")
        table.add_row(
            label, str(counters["total_calls"]), str(counters["records_written"])
        )
    console.print(table)


def _add_value_maps(config_path: Path, console: Console) -> None:
    text = config_path.read_text(encoding="utf-8")
    marker = '"Working" = "In Progress"\n'
    text = text.replace(marker, marker + FIXED_STATUS_LINE) + FIXED_VALUE_MAPS
    config_path.write_text(text, encoding="utf-8")
    console.print("Added to the config file:")
    added = f"[pairs.cases.value_maps.Status] {FIXED_STATUS_LINE.strip()}"
    console.print("  " + escape(added))
    console.print("  " + escape(FIXED_VALUE_MAPS.strip().replace("\n", " ")))


async def _verify(config_path: Path, console: Console) -> None:
    config = load_config(config_path)
    async with (
        SalesforceClient(config.orgs["a"]) as source,
        SalesforceClient(config.orgs["b"]) as target,
    ):
        source_ids = [
            r["Id"] async for r in source.query_records("SELECT Id FROM Case")
        ]
        copies = [
            r["Source_Case_Id__c"]
            async for r in target.query_records("SELECT Source_Case_Id__c FROM Case")
        ]

    missing = set(source_ids) - set(copies)
    duplicated = len(copies) - len(set(copies))
    console.print(
        f"Org A: {len(source_ids)} Cases. Org B: {len(copies)} Cases, "
        f"{len(set(copies))} distinct source Ids, {len(missing)} missing, "
        f"{duplicated} duplicated."
    )
    if missing or duplicated:
        raise DemoError(f"{len(missing)} Cases missing, {duplicated} duplicated in B")


def _step(console: Console, title: str) -> None:
    console.print()
    console.rule(f"[bold cyan]{title}", align="left")


def _invoke(console: Console, args: list[str]) -> int:
    # Imported here because the CLI imports this module for its demo command.
    from orgbridge.cli.main import cli

    # Not wrapped at the console's width, so the command can be copied whole.
    console.print(f"[dim]$ orgbridge {' '.join(args)}[/dim]", soft_wrap=True)
    with _flushed():
        try:
            cli.main(args=args, prog_name="orgbridge", standalone_mode=False)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            console.print(f"[dim](exit code {code})[/dim]")
            return code
    console.print("[dim](exit code 0)[/dim]")
    return 0


@contextmanager
def _flushed() -> Iterator[None]:
    # Commands write to stdout and log to stderr; flush both so they interleave.
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
