"""The benchmark harness, run small: every method measured, counted and checked.

``python -m bench.run`` runs in a subprocess on 200 Cases with one repeat, (c)
capped at 20 Cases and a 20 ms latency, writing its results under tmp_path.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.analysis import pipeline_floor

REPO = Path(__file__).resolve().parents[2]
CASES = 200


def by_key(runs: list[dict[str, Any]], method: str, scenario: str) -> dict[str, Any]:
    matches = [r for r in runs if r["method"] == method and r["scenario"] == scenario]
    assert len(matches) == 1, (method, scenario, matches)
    return matches[0]


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--sizes",
            str(CASES),
            "--repeats",
            "1",
            "--one-per-call-max",
            "20",
            "--micro-samples",
            "2",
            "--output",
            str(out / "latest.json"),
            "--readme",
            str(out / "README.md"),
            "--plot",
            str(out / "throughput.png"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results: dict[str, Any] = json.loads((out / "latest.json").read_text())
    results["readme"] = (out / "README.md").read_text()
    results["plot_bytes"] = (out / "throughput.png").stat().st_size
    return results


@pytest.mark.slow
def test_orgbridge_run_counted(bench_results: dict[str, Any]) -> None:
    runs = bench_results["measurements"]
    first = by_key(runs, "orgbridge", "new")
    second = by_key(runs, "orgbridge", "no_work")

    assert first["succeeded"] == CASES
    assert first["calls_by_endpoint_source"] == {"query": 1}
    # One upsert of 200; the budget guard reads usage from response headers.
    assert first["calls_by_endpoint_target"] == {"composite": 1}
    assert first["target_distinct"] == CASES
    assert second["sent"] == 0
    assert second["target_cases"] == CASES
    assert first["work_seconds"] is not None
    assert 0 < first["work_seconds"] < first["wall_seconds"]
    assert first["cpu_seconds"] > 0
    assert first["orgs_cpu_seconds"] > 0


@pytest.mark.slow
def test_scripts_resend_and_cap(bench_results: dict[str, Any]) -> None:
    runs = bench_results["measurements"]
    apex_again = by_key(runs, "apex_batch", "no_work")
    capped = by_key(runs, "one_per_call", "new")
    collections_again = by_key(runs, "collections", "no_work")

    assert apex_again["sent"] == CASES
    assert apex_again["target_cases"] == 2 * CASES
    assert capped["limit"] == 20
    assert capped["sent"] == 20
    assert capped["calls_target"] == 20
    assert collections_again["sent"] == CASES
    assert collections_again["target_distinct"] == CASES
    assert collections_again["target_cases"] == CASES


@pytest.mark.slow
def test_bad_records_outcomes(bench_results: dict[str, Any]) -> None:
    runs = bench_results["measurements"]
    good = CASES - CASES // 100

    assert by_key(runs, "orgbridge", "bad_records")["target_cases"] == good
    assert by_key(runs, "collections", "bad_records")["target_cases"] == good
    assert by_key(runs, "apex_batch", "bad_records")["target_cases"] == 0
    assert by_key(runs, "apex_batch", "bad_records")["good_missing"] == good


# A parent of about 300 MB measures a child that imports nothing. Read from the
# parent with wait4, the child's ru_maxrss would be the parent's 300 MB.
_BIG_PARENT = """
import os, pathlib, sys
from bench.process import run_measured
big = bytearray(300 * 2**20)
big[:: 4096] = b"x" * len(big[:: 4096])
child = [sys.executable, "-I", "-S", "-c", "pass"]
result = run_measured(child, env=dict(os.environ), workdir=pathlib.Path(sys.argv[1]),
                      label="small")
print(result.peak_rss_mb)
"""


def test_peak_rss_is_childs_own(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _BIG_PARENT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    peak_mb = float(result.stdout.strip().splitlines()[-1])

    assert 0 < peak_mb < 50


@pytest.mark.slow
def test_import_baselines_measured(bench_results: dict[str, Any]) -> None:
    baselines = bench_results["import_baselines"]

    # orgbridge --help imports no command module, so either may start smaller.
    assert baselines["import simple_salesforce"] > 0
    assert baselines["orgbridge --help"] > 0


@pytest.mark.slow
def test_service_times_measured(bench_results: dict[str, Any]) -> None:
    service = bench_results["service_times"]

    for kind in ("login_seconds", "query_page_seconds", "upsert_seconds"):
        assert 0 < service[kind] < 5, kind


@pytest.mark.slow
def test_report_and_plot_written(bench_results: dict[str, Any]) -> None:
    readme = bench_results["readme"]

    assert "## Targets" in readme
    assert "## Pipeline bound" in readme
    assert "bound = 2 x s_login + pages" in readme
    assert "| login: client credentials token request, new connection |" in readme
    assert f"| {CASES} | (a) orgbridge run |" in readme
    assert bench_results["plot_bytes"] > 10_000


def test_floor_takes_longer_chain() -> None:
    times = {"latency": 0.02, "s_login": 0.004, "s_query": 0.024, "s_upsert": 0.01}

    # Many upserts: B's service time, after the first page, is the longer chain.
    upserts_bound = pipeline_floor(5, 50, **times)
    assert upserts_bound == pytest.approx(0.004 + 0.044 + 0.02 + 50 * 0.01)
    # Many pages and few upserts: the chain of pages is the longer one.
    pages_bound = pipeline_floor(50, 5, **times)
    assert pages_bound == pytest.approx(0.004 + 50 * 0.044 + 0.02 + 0.01)
