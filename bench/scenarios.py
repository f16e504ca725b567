"""One measured run of one method: fresh target org, latency on, counters, checks.

A run starts a fresh org B, injects the latency into A and B, resets both orgs'
counters, runs the method's process and reads the counters. It then checks B
without latency: how many Cases it has, how many distinct source Cases (by
SuppliedEmail, which is unique per seeded Case) and which good Cases are missing.
A second pass over the same state (the "no work" run) follows when asked for.
"""

import logging
import os
import resource
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.methods import orgbridge_run
from bench.methods.common import SOURCE_SECRET_VARIABLE, TARGET_SECRET_VARIABLE
from bench.orgs import BAD_STATUS, BenchOrg, started_org, target_config
from bench.process import MethodFailedError, ProcessResult, run_measured

logger = logging.getLogger(__name__)

ORGBRIDGE = "orgbridge"
APEX_BATCH = "apex_batch"
ONE_PER_CALL = "one_per_call"
COLLECTIONS = "collections"
METHODS = (ORGBRIDGE, APEX_BATCH, ONE_PER_CALL, COLLECTIONS)
METHOD_LABELS = {
    ORGBRIDGE: "(a) orgbridge run",
    APEX_BATCH: "(b) original design: one Apex REST call",
    ONE_PER_CALL: "(c) simple-salesforce, one call per Case",
    COLLECTIONS: "(d) simple-salesforce, sObject Collections",
}
_SCRIPTS = {
    APEX_BATCH: "bench.methods.apex_batch",
    ONE_PER_CALL: "bench.methods.one_per_call",
    COLLECTIONS: "bench.methods.sobject_collections",
}
# Exit codes of `orgbridge run` that still mean the run completed: 0, and 1 when
# some Cases were dead-lettered.
_ORGBRIDGE_COMPLETED = (0, 1)
REPO_ROOT = Path(__file__).resolve().parent.parent
_CA_BUNDLE_VARIABLES = frozenset({"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"})


@dataclass
class Measurement:
    """The figures of one method's process on one scenario."""

    method: str
    scenario: str
    cases_in_source: int
    repeat: int
    latency_ms: float
    limit: int | None
    exit_code: int
    wall_seconds: float
    work_seconds: float | None
    peak_rss_mb: float
    # CPU time of the method's process, and of the harness process that hosts
    # both emulated orgs, while the method ran.
    cpu_seconds: float
    orgs_cpu_seconds: float
    sent: int
    succeeded: int
    failed: int
    calls_source: int
    calls_target: int
    calls_by_endpoint_source: dict[str, int] = field(default_factory=dict)
    calls_by_endpoint_target: dict[str, int] = field(default_factory=dict)
    records_written_target: int = 0
    target_cases: int = 0
    target_distinct: int | None = 0
    good_missing: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the measurement as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class RunPlan:
    """A method to measure on a seeded source org, with its settings."""

    method: str
    scenario: str
    repeat: int
    latency_ms: float
    limit: int | None = None
    second_pass: bool = False
    concurrency: int = 4


def measure(
    plan: RunPlan,
    source: BenchOrg,
    good_emails: set[str],
    *,
    tls_dir: Path,
    workdir: Path,
) -> list[Measurement]:
    """Run one method once (twice with ``second_pass``) against a fresh org B."""
    run_dir = workdir / f"{plan.scenario}-{plan.method}-{plan.repeat}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)

    secret = source.access.client_secret + "-b"
    with started_org(target_config(secret), tls_dir) as target:
        argv = _command(plan, source, target, run_dir)
        env = _environment(source, target)
        orgs = (source, target)
        first = _measured_pass(plan, plan.scenario, orgs, argv, env, run_dir)
        _check_target(first, target, good_emails)
        results = [first]
        if plan.second_pass:
            second = _measured_pass(plan, "no_work", orgs, argv, env, run_dir)
            _check_target(second, target, good_emails)
            results.append(second)
    return results


def _measured_pass(
    plan: RunPlan,
    scenario: str,
    orgs: tuple[BenchOrg, BenchOrg],
    argv: list[str],
    env: dict[str, str],
    run_dir: Path,
) -> Measurement:
    source, target = orgs
    for org in orgs:
        org.set_latency(plan.latency_ms)
        org.reset_counters()
    label = f"{scenario}-{plan.method}"
    orgs_cpu_before = _own_cpu_seconds()
    try:
        process = run_measured(argv, env=env, workdir=run_dir, label=label)
    finally:
        for org in orgs:
            org.set_latency(0)
    orgs_cpu = _own_cpu_seconds() - orgs_cpu_before
    counts_source = source.counters()
    counts_target = target.counters()

    outcome = _outcome(plan.method, process)
    return Measurement(
        method=plan.method,
        scenario=scenario,
        cases_in_source=-1,
        repeat=plan.repeat,
        latency_ms=plan.latency_ms,
        limit=plan.limit,
        exit_code=process.exit_code,
        wall_seconds=process.wall_seconds,
        work_seconds=outcome.get("work_seconds"),
        peak_rss_mb=process.peak_rss_mb,
        cpu_seconds=process.cpu_seconds,
        orgs_cpu_seconds=orgs_cpu,
        sent=int(outcome["sent"]),
        succeeded=int(outcome["succeeded"]),
        failed=int(outcome["failed"]),
        calls_source=int(counts_source["total_calls"]),
        calls_target=int(counts_target["total_calls"]),
        calls_by_endpoint_source=dict(counts_source["calls_by_endpoint"]),
        calls_by_endpoint_target=dict(counts_target["calls_by_endpoint"]),
        records_written_target=int(counts_target["records_written"]),
    )


def _own_cpu_seconds() -> float:
    # The harness waits on the method's process, so its CPU time meanwhile is the
    # emulated orgs' work (their server threads run in this process).
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _outcome(method: str, process: ProcessResult) -> dict[str, Any]:
    if method == ORGBRIDGE:
        if process.exit_code not in _ORGBRIDGE_COMPLETED:
            raise MethodFailedError(
                f"orgbridge run exited {process.exit_code}: {process.stderr[-800:]}"
            )
        return orgbridge_run.parse_outcome(process.stdout, process.stderr)
    if process.exit_code != 0:
        raise MethodFailedError(
            f"{method} exited {process.exit_code}: {process.stderr[-800:]}"
        )
    return process.result_line()


def _check_target(
    measurement: Measurement, target: BenchOrg, good_emails: set[str]
) -> None:
    """Count B's Cases, distinct source Cases and good Cases missing from B.

    The original design's Apex endpoint stores only Subject, Origin, Status and
    Description, so its Cases cannot be matched to their source Cases. For it,
    distinct is None and the missing count comes from the counts alone, which
    is exact for an all-or-none insert into an empty org.
    """
    rows = target.query_all("SELECT SuppliedEmail FROM Case")
    emails = [row["SuppliedEmail"] for row in rows]
    measurement.target_cases = len(emails)
    if measurement.method == APEX_BATCH:
        measurement.target_distinct = None
        measurement.good_missing = max(0, len(good_emails) - len(emails))
        return
    measurement.target_distinct = len(set(emails))
    measurement.good_missing = len(good_emails - {str(email) for email in emails})


def _command(
    plan: RunPlan, source: BenchOrg, target: BenchOrg, run_dir: Path
) -> list[str]:
    if plan.method == ORGBRIDGE:
        config = orgbridge_run.write_config(
            run_dir, source.access, target.access, concurrency=plan.concurrency
        )
        return orgbridge_run.command(config)

    argv = [
        sys.executable,
        "-m",
        _SCRIPTS[plan.method],
        "--source-url",
        source.access.instance_url,
        "--target-url",
        target.access.instance_url,
        "--source-client-id",
        source.access.client_id,
        "--target-client-id",
        target.access.client_id,
        "--ca-bundle",
        str(source.access.ca_bundle),
    ]
    if plan.limit is not None:
        argv += ["--limit", str(plan.limit)]
    return argv


def _environment(source: BenchOrg, target: BenchOrg) -> dict[str, str]:
    # requests lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE override a session's
    # own ``verify``, which would make the scripts distrust the emulator's CA.
    # PYTHONDONTWRITEBYTECODE would make every start of orgbridge, installed from
    # source, compile its modules again, while pip installed the scripts' libraries
    # with their bytecode. Dropping it lets each method start as installed.
    dropped = {*_CA_BUNDLE_VARIABLES, "PYTHONDONTWRITEBYTECODE"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BENCH_") and key not in dropped
    }
    env[SOURCE_SECRET_VARIABLE] = source.access.client_secret
    env[TARGET_SECRET_VARIABLE] = target.access.client_secret
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def good_emails(cases: list[dict[str, Any]]) -> set[str]:
    """Return the SuppliedEmail of every seeded Case that B accepts."""
    return {str(c["SuppliedEmail"]) for c in cases if c["Status"] != BAD_STATUS}
