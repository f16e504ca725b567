"""Soak drill: sync Cases through injected faults and SIGKILLs; lose and duplicate none.

Two file-backed emulated orgs run in this process, so they outlive every sync
process. Org A gets ``--cases`` Cases, of which 1% carry a Status that Org B's
restricted picklist rejects: those, and only those, must end as dead letters.
Both orgs then inject transient faults (503 SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW
on record writes, a connection dropped after the write committed) and expire every
access token every 200 API calls. ``orgbridge run`` runs as a subprocess and is
killed with SIGKILL at ``--kills`` random points (seeded), then restarted until it
exits 0 or 1. The drill then checks every Case of A: exactly one copy in B with the
same field values, or a dead letter with B's reason. It prints a summary and exits
1 on any loss, duplicate, wrong value or unexpected dead letter.

    python -m bench.soak                 # 10,000 Cases, 5 kills (make soak)
    python -m bench.soak --cases 600 --kills 2 --json
"""

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from orgbridge.emulator.config import (
    CustomFieldConfig,
    FaultConfig,
    OrgConfig,
    PicklistConfig,
    quick_org_config,
)
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import ConnectionConfig, parse_connection_config
from orgbridge.state import StateStore

FIELDS = ("Subject", "Description", "Status", "Origin", "Priority")
TARGET_STATUSES = ("New", "Working", "Closed")
REJECTED_STATUS = "Escalated"
REJECTED_CODE = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
REJECTED_SHARE = 0.01
SECRET_VARIABLES = {"a": "ORGBRIDGE_SOAK_A_SECRET", "b": "ORGBRIDGE_SOAK_B_SECRET"}
PAIR = "soak"
MAX_ATTEMPTS = 30
MAX_FAILED_RUNS = 3
RUN_TIMEOUT_SECONDS = 900
POLL_SECONDS = 0.02
# The client logs "retrying <what> after <reason> (attempt ...)" for each retry.
RETRY_LINE = re.compile(r"retrying .* after (\S+) \(attempt")
TOKEN_LINE = "obtained access token"


def soak_faults(seed: int, latency_ms: float, token_expiry_calls: int) -> FaultConfig:
    """Return the drill's faults: about 5% of requests fail, tokens expire often."""
    return FaultConfig(
        latency_ms=latency_ms,
        server_unavailable_rate=0.02,
        drop_after_commit_rate=0.02,
        unable_to_lock_row_rate=0.01,
        token_expiry_after_calls=token_expiry_calls,
        seed=seed,
    )


@dataclass
class Attempt:
    """One ``orgbridge run`` process: how it ended and how long it ran."""

    number: int
    exit_code: int
    killed: bool
    seconds: float


@dataclass
class Outcome:
    """The final check's findings; ``problems`` is empty when nothing went wrong."""

    cases: int
    designed_to_fail: int
    landed: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong_values: list[str] = field(default_factory=list)
    strangers: int = 0
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)
    unexpected_dead_letters: list[str] = field(default_factory=list)
    missing_dead_letters: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = {
            "missing in B": self.missing,
            "duplicated in B": self.duplicated,
            "wrong field values in B": self.wrong_values,
            "dead letters not designed to fail": self.unexpected_dead_letters,
            "designed to fail but not dead-lettered": self.missing_dead_letters,
        }
        lines = [f"{len(ids)} {what}: {ids[:5]}" for what, ids in found.items() if ids]
        if self.strangers:
            lines.append(f"{self.strangers} Cases in B without a source Id")
        return lines


def org_configs() -> tuple[OrgConfig, OrgConfig]:
    """Build A (plain) and B (external-ID field, restricted Status picklist)."""
    source = quick_org_config("soak-a", None, name="a", org_id="00DA0000000SOKA")
    target = quick_org_config("soak-b", None, name="b", org_id="00DA0000000SOKB")
    target = dataclasses.replace(
        target,
        pod="B0",
        custom_fields=(
            CustomFieldConfig(
                sobject="Case",
                name="Source_Case_Id__c",
                length=18,
                external_id=True,
                unique=True,
                case_sensitive=True,
            ),
        ),
        picklists=(
            PicklistConfig(
                sobject="Case",
                field="Status",
                values=TARGET_STATUSES,
                default="New",
                restricted=True,
            ),
        ),
    )
    return source, target


def with_secret(config: OrgConfig, secret: str) -> OrgConfig:
    app = dataclasses.replace(config.connected_apps[0], client_secret=secret)
    return dataclasses.replace(config, connected_apps=(app,))


def connection(name: str, org: EmulatedOrg) -> ConnectionConfig:
    return parse_connection_config(
        name,
        {
            "auth": "client_credentials",
            "login_url": org.instance_url,
            "client_id": f"soak-{name}",
            "client_secret": {"env": SECRET_VARIABLES[name]},
            "ca_bundle": str(org.ca_bundle),
        },
    )


def write_config(workdir: Path, orgs: dict[str, EmulatedOrg], batch_size: int) -> Path:
    lines = [f'[state]\nurl = "sqlite:///{workdir / "state.sqlite"}"\n']
    for name, org in orgs.items():
        lines.append(
            f"[orgs.{name}]\n"
            'auth = "client_credentials"\n'
            f'login_url = "{org.instance_url}"\n'
            f'client_id = "soak-{name}"\n'
            f'client_secret = {{ env = "{SECRET_VARIABLES[name]}" }}\n'
            f'ca_bundle = "{org.ca_bundle}"\n'
        )
    fields = ", ".join(f'"{name}"' for name in FIELDS)
    # Several query pages per run, so kills also land between pages.
    query_batch_size = min(2000, max(200, batch_size * 10))
    lines.append(
        f'[pairs.{PAIR}]\nsource = "a"\ntarget = "b"\nfields = [{fields}]\n'
        f"batch_size = {batch_size}\nquery_batch_size = {query_batch_size}\n"
        "concurrency = 4\n"
    )
    path = workdir / "orgbridge.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def source_cases(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Build ``count`` Cases; exactly 1% (rounded down) have the rejected Status."""
    rejected = set(rng.sample(range(count), int(count * REJECTED_SHARE)))
    statuses = [s for s in TARGET_STATUSES if s != "Closed"]
    return [
        {
            "Subject": f"Soak case {index}: printer {rng.randrange(1000)} jams",
            "Description": f"Customer {rng.randrange(10**6)} called.\nStep {index}.",
            "Status": REJECTED_STATUS if index in rejected else rng.choice(statuses),
            "Origin": rng.choice(("Phone", "Email", "Web")),
            "Priority": rng.choice(("High", "Medium", "Low")),
        }
        for index in range(count)
    ]


def admin(org: EmulatedOrg, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(
        method,
        org.instance_url + path,
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=str(org.ca_bundle),
        **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def set_faults(org: EmulatedOrg, faults: FaultConfig) -> None:
    admin(org, "PUT", "/_emulator/faults", json=dataclasses.asdict(faults))


def records_written(org: EmulatedOrg) -> int:
    return int(admin(org, "GET", "/_emulator/counters")["records_written"])


async def create_source_cases(
    connection_a: ConnectionConfig, records: list[dict[str, Any]]
) -> None:
    async with SalesforceClient(connection_a) as client:
        results = await client.create_many("Case", records)
    failed = [result for result in results if not result.success]
    if failed:
        raise RuntimeError(f"{len(failed)} Cases rejected by A: {failed[0].errors}")


def kill_at_random_point(
    process: subprocess.Popen[bytes],
    target: EmulatedOrg,
    writes: int,
    rng: random.Random,
) -> bool:
    """SIGKILL the process once B has taken ``writes`` more record writes.

    A random extra delay of up to 200 ms puts the kill anywhere in the request
    cycle: during an upsert, between the upsert and the state commit, or in a
    query. Return whether the process was still running when killed.
    """
    baseline = records_written(target)
    while process.poll() is None and records_written(target) - baseline < writes:
        time.sleep(POLL_SECONDS)
    time.sleep(rng.uniform(0.0, 0.2))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    return True


def run_until_done(
    config_path: Path,
    target: EmulatedOrg,
    *,
    cases: int,
    kills: int,
    rng: random.Random,
    env: dict[str, str],
    log_dir: Path,
) -> list[Attempt]:
    """Run ``orgbridge run``, killing it ``kills`` times, until it exits 0 or 1."""
    command = [
        sys.executable,
        "-c",
        "from orgbridge.cli.main import main; main()",
        "run",
        "--config",
        str(config_path),
    ]
    attempts: list[Attempt] = []
    kills_left = kills
    # Each kill point lies within the first 1/(kills + 1) of the Cases, so every
    # process still has Cases to send when its kill is due.
    max_writes = max(1, cases // (kills + 1))

    for number in range(1, MAX_ATTEMPTS + 1):
        started = time.monotonic()
        with (log_dir / f"run-{number}.log").open("wb") as log:
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            killed = False
            if kills_left:
                writes = rng.randint(1, max_writes)
                killed = kill_at_random_point(process, target, writes, rng)
            exit_code = process.wait(timeout=RUN_TIMEOUT_SECONDS)
        attempts.append(
            Attempt(number, exit_code, killed, round(time.monotonic() - started, 2))
        )
        print(
            f"  run {number}: exit {exit_code}"
            f"{' (SIGKILL)' if killed else ''} after {attempts[-1].seconds} s",
            flush=True,
        )
        if killed:
            kills_left -= 1
        elif exit_code in (0, 1):
            break
        elif sum(not a.killed and a.exit_code not in (0, 1) for a in attempts) >= (
            MAX_FAILED_RUNS
        ):
            print(f"  giving up after {MAX_FAILED_RUNS} failed runs", flush=True)
            break
    return attempts


async def check_outcome(
    connections: dict[str, ConnectionConfig], state_url: str, cases: int
) -> Outcome:
    """Compare A with B and the dead letters; collect every discrepancy."""
    soql = f"SELECT Id, {', '.join(FIELDS)} FROM Case"
    target_soql = f"SELECT Id, Source_Case_Id__c, {', '.join(FIELDS)} FROM Case"
    async with (
        SalesforceClient(connections["a"]) as source,
        SalesforceClient(connections["b"]) as target,
    ):
        source_rows = [row async for row in source.query_records(soql)]
        target_rows = [row async for row in target.query_records(target_soql)]
    with StateStore(state_url) as state:
        letters = state.dead_letters(PAIR)

    copies: dict[str, list[dict[str, Any]]] = {}
    for row in target_rows:
        copies.setdefault(row["Source_Case_Id__c"], []).append(row)
    designed = {row["Id"] for row in source_rows if row["Status"] == REJECTED_STATUS}
    outcome = Outcome(cases=len(source_rows), designed_to_fail=len(designed))
    outcome.strangers = len(copies.pop(None, []))

    for row in source_rows:
        found = copies.get(row["Id"], [])
        if row["Id"] in designed:
            if found:
                outcome.duplicated.append(row["Id"])
            continue
        if not found:
            outcome.missing.append(row["Id"])
            continue
        outcome.landed += 1
        if len(found) > 1:
            outcome.duplicated.append(row["Id"])
        if any(found[0][name] != row[name] for name in FIELDS):
            outcome.wrong_values.append(row["Id"])

    lettered = set()
    for letter in letters:
        lettered.add(letter.source_id)
        outcome.dead_letter_reasons[f"{letter.error_code} {letter.fields}"] += 1
        good_reason = letter.error_code == REJECTED_CODE and letter.fields == ["Status"]
        if letter.source_id not in designed or not good_reason:
            outcome.unexpected_dead_letters.append(
                f"{letter.source_id} {letter.error_code}"
            )
    outcome.missing_dead_letters = sorted(designed - lettered)
    return outcome


def soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Run the whole drill in ``workdir`` and return its summary."""
    rng = random.Random(args.seed)
    env = dict(os.environ)
    source_config, target_config = org_configs()
    configs = {"a": source_config, "b": target_config}
    orgs: dict[str, EmulatedOrg] = {}
    for name, config in configs.items():
        env[SECRET_VARIABLES[name]] = secrets.token_urlsafe(24)
        org = EmulatedOrg(
            with_secret(config, env[SECRET_VARIABLES[name]]),
            data_path=workdir / f"{name}.sqlite",
            tls_dir=workdir / "tls",
        )
        orgs[name] = org
    os.environ.update({v: env[v] for v in SECRET_VARIABLES.values()})

    started = time.monotonic()
    try:
        for org in orgs.values():
            org.start()
        connections = {name: connection(name, org) for name, org in orgs.items()}
        config_path = write_config(workdir, orgs, args.batch_size)
        print(f"Creating {args.cases} Cases in A ...", flush=True)
        asyncio.run(
            create_source_cases(connections["a"], source_cases(args.cases, rng))
        )

        faults = soak_faults(args.seed, args.latency_ms, args.token_expiry_calls)
        for org in orgs.values():
            admin(org, "POST", "/_emulator/counters/reset")
            set_faults(org, faults)
        print(f"Syncing with faults {faults} and {args.kills} kills ...", flush=True)
        attempts = run_until_done(
            config_path,
            orgs["b"],
            cases=args.cases,
            kills=args.kills,
            rng=rng,
            env=env,
            log_dir=workdir,
        )

        calls = {
            name: admin(org, "GET", "/_emulator/counters")["total_calls"]
            for name, org in orgs.items()
        }
        for org in orgs.values():
            set_faults(org, FaultConfig())
        state_url = f"sqlite:///{workdir / 'state.sqlite'}"
        outcome = asyncio.run(check_outcome(connections, state_url, args.cases))
    finally:
        for org in orgs.values():
            org.stop()

    retries, tokens = count_retries(workdir)
    problems = outcome.problems
    kills_done = sum(attempt.killed for attempt in attempts)
    if kills_done < args.kills:
        problems.append(f"only {kills_done} of {args.kills} kills hit a running sync")
    if attempts[-1].exit_code not in (0, 1):
        problems.append(f"the last run exited {attempts[-1].exit_code}")
    return {
        "cases": outcome.cases,
        "designed_to_fail": outcome.designed_to_fail,
        "landed": outcome.landed,
        "missing": len(outcome.missing),
        "duplicated": len(outcome.duplicated),
        "wrong_values": len(outcome.wrong_values),
        "dead_letters": dict(outcome.dead_letter_reasons),
        "kills": kills_done,
        "runs": [dataclasses.asdict(attempt) for attempt in attempts],
        "api_calls": calls,
        "retries": dict(retries),
        "tokens_obtained": tokens,
        "seconds": round(time.monotonic() - started, 1),
        "seed": args.seed,
        "problems": problems,
    }


def count_retries(log_dir: Path) -> tuple[Counter[str], int]:
    """Count the retries by reason, and the tokens obtained, in the run logs."""
    reasons: Counter[str] = Counter()
    tokens = 0
    for log in sorted(log_dir.glob("run-*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = RETRY_LINE.search(line)
            if match is not None:
                reasons[match.group(1)] += 1
            tokens += TOKEN_LINE in line
    return reasons, tokens


def print_summary(summary: dict[str, Any]) -> None:
    print()
    print(f"Cases in A:            {summary['cases']}")
    print(f"designed to fail:      {summary['designed_to_fail']}")
    print(f"landed once in B:      {summary['landed']}")
    print(f"missing in B:          {summary['missing']}")
    print(f"duplicated in B:       {summary['duplicated']}")
    print(f"wrong values in B:     {summary['wrong_values']}")
    print(f"dead letters:          {summary['dead_letters']}")
    codes = [str(run["exit_code"]) for run in summary["runs"]]
    print(f"runs (exit codes):     {len(codes)} ({', '.join(codes)})")
    print(f"SIGKILLs:              {summary['kills']}")
    print(f"API calls during sync: {summary['api_calls']}")
    print(f"client retries:        {summary['retries']}")
    print(f"access tokens obtained: {summary['tokens_obtained']}")
    print(f"total time:            {summary['seconds']} s")
    if summary["problems"]:
        print("FAILED:")
        for problem in summary["problems"]:
            print(f"  {problem}")
    else:
        print("OK: no Case lost, none duplicated, only the designed dead letters")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000, help="Cases in A")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the sync")
    parser.add_argument("--seed", type=int, default=20240501, help="random seed")
    parser.add_argument(
        "--batch-size", type=int, default=50, help="records per upsert call"
    )
    parser.add_argument(
        "--token-expiry-calls",
        type=int,
        default=200,
        help="expire every access token of an org after this many API calls",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="added to every API call"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep orgs, state and run logs here"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON line"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        summary = soak(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="orgbridge-soak-") as workdir:
            summary = soak(args, Path(workdir))
    print_summary(summary)
    if args.json:
        print(json.dumps(summary))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
