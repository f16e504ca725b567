"""Medians, ratios to orgbridge, the pipeline bound and floor, and the targets.

The pipeline bound estimates the time a client needs for the calls a run made,
given the injected latency L and the emulator's service times s, which
``bench.micro`` measures with no latency. Every method logs in to both orgs, and a
login (a token request, with no injected latency) costs s_login. A query page costs
L + s_query, and pages follow one another. An upsert's latency overlaps with up to
``concurrency`` others, and the service times add up:

    bound = 2 * s_login + pages * (L + s_query)
            + upserts * (L / concurrency + s_upsert) + other calls * L

With concurrency 1 this is the sequential time, every call's latency in turn. It
is an estimate, not a floor: in a run, an upsert's latency also passes while the
emulator serves other requests. ``pipeline_floor`` is the floor: the least time
any client needs, from the chains of calls that must follow one another. The
latency-only bound leaves out the service times (s = 0).
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.scenarios import ORGBRIDGE

TARGET_CALLS_PER_1000 = 5.6
TARGET_THROUGHPUT_RATIO = 50.0
TARGET_BOUND_RATIO = 0.8
TARGET_PEAK_RSS_MB = 150.0
TARGET_FLAT_GROWTH = 1.1
# The smallest N whose run fills several 2,000-row pages and 200-record upserts.
FULL_PIPELINE_SIZE = 10_000
# Every method logs in once to each of the two orgs.
LOGINS = 2


@dataclass(frozen=True)
class Summary:
    """Medians over the repeats of one method, scenario and source size."""

    method: str
    scenario: str
    cases_in_source: int
    repeats: int
    limit: int | None
    wall_seconds: float
    work_seconds: float | None
    peak_rss_mb: float
    cpu_seconds: float | None
    orgs_cpu_seconds: float | None
    sent: int
    succeeded: int
    failed: int
    calls_source: int
    calls_target: int
    target_cases: int
    target_distinct: int | None
    good_missing: int
    query_calls: int
    write_calls: int
    other_calls: int

    @property
    def cases_per_second(self) -> float:
        """Cases written to B per second of process wall time."""
        return self.succeeded / self.wall_seconds if self.wall_seconds else 0.0

    def calls_per_1000(self, calls: int) -> float | None:
        """Calls per 1,000 Cases sent, or None when nothing was sent."""
        return calls * 1000 / self.sent if self.sent else None


def summarize(measurements: list[dict[str, Any]]) -> list[Summary]:
    """Group raw runs by method, scenario and size; take the median of each figure."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for run in measurements:
        key = (run["method"], run["scenario"], run["cases_in_source"])
        groups[key].append(run)
    return [_summary(key, runs) for key, runs in sorted(groups.items())]


def _summary(key: tuple[str, str, int], runs: list[dict[str, Any]]) -> Summary:
    method, scenario, cases = key

    def median(name: str) -> float:
        return float(statistics.median(run[name] for run in runs))

    def median_int(name: str) -> int:
        return round(median(name))

    work = [run["work_seconds"] for run in runs if run["work_seconds"] is not None]
    source_calls = runs[0]["calls_by_endpoint_source"]
    target_calls = runs[0]["calls_by_endpoint_target"]
    query_calls = source_calls.get("query", 0)
    write_calls = target_calls.get("composite", 0) + target_calls.get("apexrest", 0)
    write_calls += target_calls.get("sobjects", 0)
    total = runs[0]["calls_source"] + runs[0]["calls_target"]
    return Summary(
        method=method,
        scenario=scenario,
        cases_in_source=cases,
        repeats=len(runs),
        limit=runs[0]["limit"],
        wall_seconds=median("wall_seconds"),
        work_seconds=float(statistics.median(work)) if work else None,
        peak_rss_mb=median("peak_rss_mb"),
        cpu_seconds=_median_float([run.get("cpu_seconds") for run in runs]),
        orgs_cpu_seconds=_median_float([run.get("orgs_cpu_seconds") for run in runs]),
        sent=median_int("sent"),
        succeeded=median_int("succeeded"),
        failed=median_int("failed"),
        calls_source=median_int("calls_source"),
        calls_target=median_int("calls_target"),
        target_cases=median_int("target_cases"),
        target_distinct=_median_optional([run["target_distinct"] for run in runs]),
        good_missing=median_int("good_missing"),
        query_calls=query_calls,
        write_calls=write_calls,
        other_calls=total - query_calls - write_calls,
    )


def _median_optional(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known)) if known else None


def _median_float(values: list[float | None]) -> float | None:
    # Results written before CPU time was measured have no such key.
    known = [value for value in values if value is not None]
    return float(statistics.median(known)) if known else None


def find(
    summaries: list[Summary], method: str, scenario: str, cases: int
) -> Summary | None:
    """Return the summary of one method, scenario and size, if it was measured."""
    for summary in summaries:
        key = (summary.method, summary.scenario, summary.cases_in_source)
        if key == (method, scenario, cases):
            return summary
    return None


@dataclass(frozen=True)
class Bound:
    """The pipeline bound of one run and how close the run came to it."""

    bound_seconds: float
    latency_only_seconds: float
    floor_seconds: float
    measured_seconds: float

    @property
    def ratio(self) -> float:
        """bound / measured: 1.0 is a run that spent nothing beyond the bound."""
        return self.bound_seconds / self.measured_seconds

    @property
    def floor_ratio(self) -> float:
        """floor / measured: no client can reach a ratio above 1."""
        return self.floor_seconds / self.measured_seconds

    @property
    def latency_only_ratio(self) -> float:
        """latency-only bound / measured."""
        return self.latency_only_seconds / self.measured_seconds


def pipeline_bound(
    summary: Summary,
    *,
    latency_ms: float,
    concurrency: int,
    service: dict[str, float],
) -> Bound | None:
    """Compute the bound of a run from its calls; None without a measured time."""
    measured = summary.work_seconds
    if measured is None or measured <= 0:
        return None

    latency = latency_ms / 1000.0
    s_query = service["query_page_seconds"]
    s_upsert = service["upsert_seconds"]
    # Results written before logins were timed have no login_seconds.
    s_login = service.get("login_seconds", 0.0)
    pages, upserts, others = (
        summary.query_calls,
        summary.write_calls,
        summary.other_calls,
    )
    bound = (
        LOGINS * s_login
        + pages * (latency + s_query)
        + upserts * (latency / concurrency + s_upsert)
        + others * latency
    )
    latency_only = (pages + upserts / concurrency + others) * latency
    floor = pipeline_floor(
        pages,
        upserts,
        latency=latency,
        s_login=s_login,
        s_query=s_query,
        s_upsert=s_upsert,
    )
    return Bound(bound, latency_only, floor, measured)


def pipeline_floor(
    pages: int,
    upserts: int,
    *,
    latency: float,
    s_login: float,
    s_query: float,
    s_upsert: float,
) -> float:
    """Return the least time any client needs for these pages and upserts.

    The logins may go out together. Each page needs the previous page's
    nextRecordsUrl, so pages follow one another, and the last upsert needs rows of
    the last page. The first upsert needs rows of the first page, and B serves one
    upsert at a time. A and B may serve at the same moment.
    """
    if pages == 0 or upserts == 0:
        return s_login + pages * (latency + s_query)
    page_chain = pages * (latency + s_query) + latency + s_upsert
    upsert_chain = (latency + s_query) + latency + upserts * s_upsert
    return s_login + max(page_chain, upsert_chain)


@dataclass(frozen=True)
class TargetCheck:
    """One target, the measured value and whether it is met."""

    name: str
    target: str
    measured: str
    met: bool


def check_targets(
    summaries: list[Summary],
    bounds: dict[int, Bound],
    sizes: list[int],
) -> list[TargetCheck]:
    """Check the four targets at every measured size."""
    checks: list[TargetCheck] = []
    for cases in sizes:
        ours = find(summaries, ORGBRIDGE, "new", cases)
        if ours is None:
            continue
        calls = ours.calls_per_1000(ours.calls_source + ours.calls_target)
        if calls is not None:
            checks.append(
                TargetCheck(
                    f"API calls per 1,000 new Cases, N={cases:,}",
                    f"<= {TARGET_CALLS_PER_1000}",
                    f"{calls:.2f}",
                    calls <= TARGET_CALLS_PER_1000,
                )
            )
        plain = find(summaries, "one_per_call", "new", cases)
        if plain is not None and plain.cases_per_second > 0:
            ratio = ours.cases_per_second / plain.cases_per_second
            checks.append(
                TargetCheck(
                    f"throughput vs one call per Case, N={cases:,}",
                    f">= {TARGET_THROUGHPUT_RATIO:.0f}x",
                    f"{ratio:.1f}x",
                    ratio >= TARGET_THROUGHPUT_RATIO,
                )
            )
        bound = bounds.get(cases)
        if bound is not None:
            checks.append(
                TargetCheck(
                    f"share of the pipeline bound (estimate), N={cases:,}",
                    f">= {TARGET_BOUND_RATIO}",
                    f"{bound.ratio:.2f}",
                    bound.ratio >= TARGET_BOUND_RATIO,
                )
            )
            checks.append(
                TargetCheck(
                    f"share of the pipeline floor, N={cases:,}",
                    f">= {TARGET_BOUND_RATIO}",
                    f"{bound.floor_ratio:.2f}",
                    bound.floor_ratio >= TARGET_BOUND_RATIO,
                )
            )
    checks.extend(_memory_checks(summaries, sizes))
    return checks


def _memory_checks(summaries: list[Summary], sizes: list[int]) -> list[TargetCheck]:
    peaks = {
        cases: summary.peak_rss_mb
        for cases in sizes
        if (summary := find(summaries, ORGBRIDGE, "new", cases)) is not None
    }
    if not peaks:
        return []
    largest = max(peaks)
    checks = [
        TargetCheck(
            f"peak RSS at N={largest:,}",
            f"< {TARGET_PEAK_RSS_MB:.0f} MB",
            f"{peaks[largest]:.1f} MB",
            peaks[largest] < TARGET_PEAK_RSS_MB,
        )
    ]
    # Below FULL_PIPELINE_SIZE a run never holds a full query page and a full set
    # of upserts in flight at once, so its peak is lower for that reason alone.
    steady = [cases for cases in peaks if cases >= FULL_PIPELINE_SIZE]
    if len(steady) > 1:
        smallest = min(steady)
        growth = peaks[largest] / peaks[smallest]
        checks.append(
            TargetCheck(
                f"peak RSS flat in N ({smallest:,} -> {largest:,})",
                f"grows < {TARGET_FLAT_GROWTH}x",
                f"{growth:.2f}x",
                growth < TARGET_FLAT_GROWTH,
            )
        )
    return checks
