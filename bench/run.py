"""Run the benchmarks: ``python -m bench.run`` (``make bench``).

Steps:

1. Measure the emulator's service times.
2. For each N, seed N Cases in org A and move them to a fresh org B with every
   method, ``--repeats`` times, each run followed by a second run with nothing new.
   Then move them once more with orgbridge and (d) and no injected latency.
3. Move N Cases of which 1% are bad, once per method.
4. Write bench/results/latest.json, bench/README.md and bench/throughput.png.

``--report-only`` rebuilds the README and the plot from latest.json.
"""

import argparse
import json
import logging
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import plot, report
from bench.micro import QUERY_PAGE_ROWS, measure_service_times
from bench.orgs import (
    BenchOrg,
    new_secret,
    seed_cases,
    source_config,
    started_org,
    target_config,
)
from bench.process import run_measured
from bench.scenarios import (
    COLLECTIONS,
    METHODS,
    ONE_PER_CALL,
    ORGBRIDGE,
    Measurement,
    RunPlan,
    good_emails,
    measure,
)

logger = logging.getLogger("bench")

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SIZES = (1_000, 10_000)
LARGE_SIZE = 100_000
# Methods measured at LARGE_SIZE. (b) would post one body of 100,000 Cases and (c)
# would make 100,000 calls, and neither shows more than the smaller sizes do.
LARGE_METHODS = (ORGBRIDGE, COLLECTIONS)
BAD_RECORD_EVERY = 100
# Methods also run once with no injected latency, for the pipeline bound.
ZERO_LATENCY_METHODS = (ORGBRIDGE, COLLECTIONS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(DEFAULT_SIZES),
        help="Comma-separated numbers of Cases to seed (default: 1000,10000).",
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help=f"Also move {LARGE_SIZE:,} Cases, with orgbridge and (d) only, once.",
    )
    parser.add_argument("--repeats", type=int, default=3, help="Runs per N <= 10,000.")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="Latency injected before every REST response, in milliseconds.",
    )
    parser.add_argument(
        "--one-per-call-max",
        type=int,
        default=2_000,
        help="Most Cases (c) moves per run; above it (c) is measured on this many "
        "Cases and its figures are per Case (default: 2000).",
    )
    parser.add_argument(
        "--bad-records-size",
        type=int,
        default=None,
        help="N of the 1%%-bad-records run (default: the smallest size).",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="orgbridge's upserts in flight."
    )
    parser.add_argument(
        "--micro-samples", type=int, default=20, help="Requests per micro-benchmark."
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCH_DIR / "results" / "latest.json",
        help="Raw results file.",
    )
    parser.add_argument(
        "--readme", type=Path, default=BENCH_DIR / "README.md", help="Report file."
    )
    parser.add_argument(
        "--plot", type=Path, default=BENCH_DIR / "throughput.png", help="Plot file."
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="Rebuild the README and plot from --output without measuring.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure (unless --report-only), then write the raw results, README and plot."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per HTTP request or emulator event would bury the progress lines.
    for name in ("httpx", "orgbridge.emulator", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = parse_args(argv)
    if args.report_only:
        results = json.loads(args.output.read_text(encoding="utf-8"))
    else:
        started = time.perf_counter()
        results = measure_all(args)
        results["duration_seconds"] = time.perf_counter() - started
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
        logger.info("raw results written to %s", args.output)

    plot.write_plot(results, args.plot)
    args.readme.write_text(report.render(results, args.plot.name), encoding="utf-8")
    logger.info("report written to %s and %s", args.readme, args.plot)


def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement; return the raw results as a JSON-ready dict."""
    sizes = sorted(set(args.sizes) | ({LARGE_SIZE} if args.large else set()))
    bad_size = args.bad_records_size or min(sizes)
    runs: list[Measurement] = []

    with tempfile.TemporaryDirectory(prefix="orgbridge-bench-") as temp:
        workdir = Path(temp)
        tls_dir = workdir / "tls"
        service = _service_times(tls_dir, args.micro_samples)
        for cases in sizes:
            runs += _measure_size(args, cases, tls_dir=tls_dir, workdir=workdir)
        runs += _measure_bad_records(args, bad_size, tls_dir=tls_dir, workdir=workdir)

    return {
        "machine": machine_info(),
        "command": shlex.join(["python", "-m", "bench.run", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "sizes": sizes,
            "repeats": args.repeats,
            "latency_ms": args.latency_ms,
            "one_per_call_max": args.one_per_call_max,
            "bad_records_size": bad_size,
            "bad_record_every": BAD_RECORD_EVERY,
            "concurrency": args.concurrency,
            "large_size": LARGE_SIZE,
        },
        "service_times": service,
        "import_baselines": _import_baselines(workdir_root=Path(tempfile.gettempdir())),
        "measurements": [run.as_dict() for run in runs],
    }


def _import_baselines(workdir_root: Path) -> dict[str, float]:
    """Measure the peak RSS of starting each kind of method without moving a Case."""
    commands = {
        "orgbridge --help": [str(Path(sys.executable).parent / "orgbridge"), "--help"],
        "import simple_salesforce": [
            sys.executable,
            "-c",
            "import requests, simple_salesforce",
        ],
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    baselines: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=workdir_root) as temp:
        for index, (label, argv) in enumerate(commands.items()):
            result = run_measured(
                argv, env=env, workdir=Path(temp), label=f"base{index}"
            )
            baselines[label] = result.peak_rss_mb
    return baselines


def _service_times(tls_dir: Path, samples: int) -> dict[str, Any]:
    secret = new_secret()
    cases = seed_cases(QUERY_PAGE_ROWS)
    with (
        started_org(source_config(secret), tls_dir) as source,
        started_org(target_config(secret + "-b"), tls_dir) as target,
    ):
        source.create_cases(cases)
        times = measure_service_times(source, target, cases, samples=samples)
    return times.as_dict()


def _measure_size(
    args: argparse.Namespace, cases: int, *, tls_dir: Path, workdir: Path
) -> list[Measurement]:
    large = cases >= LARGE_SIZE
    methods = LARGE_METHODS if large else METHODS
    repeats = 1 if large else args.repeats
    seeded = seed_cases(cases)
    good = good_emails(seeded)
    runs: list[Measurement] = []

    with started_org(source_config(new_secret()), tls_dir) as source:
        _seed(source, seeded)
        # Repeats run method after method, so the methods are measured side by
        # side under the same machine load.
        for repeat in range(1, repeats + 1):
            for method in methods:
                plan = _plan(args, method, cases, repeat)
                runs += _measure(plan, source, good, cases, tls_dir, workdir)
        # The same runs without latency: what the service times alone cost.
        for method in ZERO_LATENCY_METHODS:
            plan = RunPlan(method, "zero_latency", 1, 0.0, concurrency=args.concurrency)
            runs += _measure(plan, source, good, cases, tls_dir, workdir)
    return runs


def _plan(args: argparse.Namespace, method: str, cases: int, repeat: int) -> RunPlan:
    capped = method == ONE_PER_CALL and cases > args.one_per_call_max
    return RunPlan(
        method=method,
        scenario="new",
        repeat=repeat,
        latency_ms=args.latency_ms,
        limit=args.one_per_call_max if capped else None,
        # A capped (c) run would only repeat its capped first run.
        second_pass=not capped,
        concurrency=args.concurrency,
    )


def _measure_bad_records(
    args: argparse.Namespace, cases: int, *, tls_dir: Path, workdir: Path
) -> list[Measurement]:
    seeded = seed_cases(cases, bad_every=BAD_RECORD_EVERY)
    good = good_emails(seeded)
    runs: list[Measurement] = []
    with started_org(source_config(new_secret()), tls_dir) as source:
        _seed(source, seeded)
        for method in METHODS:
            limit = args.one_per_call_max if method == ONE_PER_CALL else None
            plan = RunPlan(
                method=method,
                scenario="bad_records",
                repeat=1,
                latency_ms=args.latency_ms,
                limit=limit if limit is not None and cases > limit else None,
                concurrency=args.concurrency,
            )
            runs += _measure(plan, source, good, cases, tls_dir, workdir)
    return runs


def _seed(source: BenchOrg, cases: list[dict[str, Any]]) -> None:
    started = time.perf_counter()
    source.create_cases(cases)
    logger.info(
        "seeded %d Cases in A in %.1f s", len(cases), time.perf_counter() - started
    )


def _measure(
    plan: RunPlan,
    source: BenchOrg,
    good: set[str],
    cases: int,
    tls_dir: Path,
    workdir: Path,
) -> list[Measurement]:
    logger.info("N=%d %s %s, repeat %d", cases, plan.scenario, plan.method, plan.repeat)
    runs = measure(plan, source, good, tls_dir=tls_dir, workdir=workdir / str(cases))
    for run in runs:
        run.cases_in_source = cases
        logger.info(
            "N=%d %s %s: %.2f s wall, %d sent, %d ok, calls A %d B %d, RSS %.0f MB",
            cases,
            run.scenario,
            run.method,
            run.wall_seconds,
            run.sent,
            run.succeeded,
            run.calls_source,
            run.calls_target,
            run.peak_rss_mb,
        )
    return runs


def machine_info() -> dict[str, Any]:
    """Describe the machine: CPUs, CPU model, memory, OS and Python."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    main()
