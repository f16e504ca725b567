"""The README's explanations, computed from the figures they explain.

Each paragraph states what limits a figure in this run, with the numbers taken
from the results, so a rerun on another machine explains its own figures.
"""

from typing import Any

from bench.analysis import FULL_PIPELINE_SIZE, Summary, find, pipeline_bound
from bench.scenarios import COLLECTIONS, ONE_PER_CALL, ORGBRIDGE

UPSERT_RECORDS = 200


def render_findings(summaries: list[Summary], results: dict[str, Any]) -> str:
    """Return the "What limits these figures" section."""
    settings = results["settings"]
    sizes: list[int] = settings["sizes"]
    paragraphs = [
        _throughput(summaries, results, sizes),
        _calls(summaries, sizes),
        _small_runs(summaries, results, sizes),
        _against_floor(summaries, results, sizes),
        _against_collections(summaries, settings, sizes),
        _memory(summaries, results),
    ]
    body = "\n\n".join(p for p in paragraphs if p)
    return f"## What limits these figures\n\n{body}\n"


def _throughput(
    summaries: list[Summary], results: dict[str, Any], sizes: list[int]
) -> str:
    plain = [s for n in sizes if (s := find(summaries, ONE_PER_CALL, "new", n))]
    ours = [s for n in sizes if (s := find(summaries, ORGBRIDGE, "new", n))]
    if not plain or not ours:
        return ""

    per_call_ms = 1000 * (plain[0].work_seconds or 0) / max(plain[0].sent, 1)
    upsert_ms = results["service_times"]["upsert_seconds"] * 1000
    floor_ms = upsert_ms / UPSERT_RECORDS
    largest = ours[-1]
    per_case_ms = 1000 * (largest.work_seconds or 0) / max(largest.sent, 1)
    startup = [s.wall_seconds - (s.work_seconds or 0) for s in ours]
    ratios = [
        f"N={theirs.cases_in_source:,}: {_work_ratio(mine, theirs):.0f}x"
        for theirs in plain
        if (mine := find(summaries, ORGBRIDGE, "new", theirs.cases_in_source))
    ]
    return (
        f"**Throughput against one call per Case.** (c) spends {per_call_ms:.1f} ms "
        f"per Case: the {results['settings']['latency_ms']:.0f} ms latency plus one "
        "single-record create. orgbridge's least time per Case is the emulator's "
        f"service time of a 200-record upsert, {upsert_ms:.0f} ms, or "
        f"{floor_ms:.2f} ms per Case, because the emulator serves one request at "
        f"a time; at N={largest.cases_in_source:,} orgbridge spends "
        f"{per_case_ms:.2f} ms per Case. So on this emulator the work-time ratio "
        f"cannot pass about {per_call_ms / floor_ms:.0f}x. The wall-time ratio is "
        f"lower, because every `orgbridge run` first spends {_span(startup)} s "
        "starting: Python imports of the CLI, httpx and SQLAlchemy, then opening "
        "the state store (on a new store, creating its tables). At N=1,000 that "
        "start is a large part of orgbridge's wall time. On work time alone (Cases "
        "per second of work s) orgbridge is "
        + ", ".join(ratios)
        + " faster. A real org's per-record cost is not measured here; the ratio "
        "on a real org depends on it the same way."
    )


def _span(values: list[float]) -> str:
    low, high = f"{min(values):.2f}", f"{max(values):.2f}"
    return low if low == high else f"{low} to {high}"


def _work_ratio(ours: Summary, theirs: Summary) -> float:
    ours_rate = ours.succeeded / (ours.work_seconds or float("inf"))
    theirs_rate = theirs.succeeded / (theirs.work_seconds or float("inf"))
    return ours_rate / theirs_rate if theirs_rate else 0.0


def _calls(summaries: list[Summary], sizes: list[int]) -> str:
    rows = []
    for cases in sizes:
        summary = find(summaries, ORGBRIDGE, "new", cases)
        if summary is None:
            continue
        total = summary.calls_per_1000(summary.calls_source + summary.calls_target)
        rows.append(
            f"N={cases:,}: {summary.query_calls} query page(s), "
            f"{summary.write_calls} upsert(s) and {summary.other_calls} other "
            f"call(s), {total or 0:.2f} per 1,000"
        )
    if not rows:
        return ""
    return (
        "**API calls per 1,000 Cases.** The REST path needs 0.5 query pages and 5 "
        "upserts per 1,000 Cases (2,000-row pages, 200-record upserts). The API "
        "budget guard reads each org's usage from the `Sforce-Limit-Info` header "
        "of responses it gets anyway, so it adds no call. A page that is only "
        "partly filled still costs a whole call: 1,000 Cases need one page and five "
        "upserts, 6.0 per 1,000, which is the floor at that N; from 2,000 Cases a "
        "run reaches 5.5. Per run, " + "; ".join(rows) + "."
    )


def _small_runs(
    summaries: list[Summary], results: dict[str, Any], sizes: list[int]
) -> str:
    smallest = find(summaries, ORGBRIDGE, "new", sizes[0]) if sizes else None
    if smallest is None or not smallest.work_seconds:
        return ""

    settings = results["settings"]
    bound = pipeline_bound(
        smallest,
        latency_ms=settings["latency_ms"],
        concurrency=settings["concurrency"],
        service=results["service_times"],
    )
    if bound is None:
        return ""
    return (
        f"**Short runs against the bound.** At N={sizes[0]:,} orgbridge's work "
        f"time is {smallest.work_seconds:.2f} s against a bound of "
        f"{bound.bound_seconds:.2f} s ({smallest.query_calls} page(s), "
        f"{smallest.write_calls} upserts). Costs that the bound spreads over many "
        "calls are whole here: each upsert beyond the first `concurrency` waits "
        "for one to return, so it pays a full latency where the bound counts "
        "L / c, and the first upserts in flight each open a new HTTPS connection "
        "to B. The bound also counts a login as the emulator's service time, "
        "without the client's own set-up of its HTTP connection pool. These are "
        "estimates of where the gap goes, not measured one by one; from 10,000 "
        "Cases they are spread over many calls."
    )


def _against_floor(
    summaries: list[Summary], results: dict[str, Any], sizes: list[int]
) -> str:
    settings = results["settings"]
    nproc = results["machine"]["nproc"]
    rows = []
    # Below FULL_PIPELINE_SIZE the start-up's CPU time, which the process's CPU
    # time includes, outweighs the per-upsert work.
    for cases in (n for n in sizes if n >= FULL_PIPELINE_SIZE):
        ours = find(summaries, ORGBRIDGE, "new", cases)
        if ours is None or ours.cpu_seconds is None or not ours.write_calls:
            continue
        bound = pipeline_bound(
            ours,
            latency_ms=settings["latency_ms"],
            concurrency=settings["concurrency"],
            service=results["service_times"],
        )
        if bound is None:
            continue
        per_upsert_ms = 1000 * ours.cpu_seconds / ours.write_calls
        rows.append(
            f"N={cases:,}: {bound.floor_ratio:.2f} of the floor; orgbridge's process "
            f"used {ours.cpu_seconds:.2f} s of CPU ({per_upsert_ms:.1f} ms per "
            f"upsert, start included) and the two orgs "
            f"{ours.orgs_cpu_seconds or 0:.2f} s, in {ours.work_seconds or 0:.2f} s "
            "of work"
        )
    if not rows:
        return ""
    upsert_ms = results["service_times"]["upsert_seconds"] * 1000
    return (
        "**orgbridge against the floor.** The floor assumes that B is never idle "
        f"and serves each upsert in its measured {upsert_ms:.1f} ms, and it counts "
        "no time for the client. "
        + "; ".join(rows)
        + f". orgbridge's own CPU per upsert (mapping, state writes, JSON, TLS) is "
        "about B's service time per upsert, and the client and both orgs share "
        f"this machine's {nproc} CPUs, so B waits for the client part of the time. "
        "Less client CPU per Case is what would bring a run closer to the floor."
    )


def _against_collections(
    summaries: list[Summary], settings: dict[str, Any], sizes: list[int]
) -> str:
    rows = []
    for cases in sizes:
        ours = find(summaries, ORGBRIDGE, "new", cases)
        theirs = find(summaries, COLLECTIONS, "new", cases)
        if ours is None or theirs is None or not ours.work_seconds:
            continue
        rows.append(
            f"N={cases:,}: {ours.work_seconds:.2f} s against "
            f"{theirs.work_seconds or 0:.2f} s, "
            f"{(theirs.work_seconds or 0) / ours.work_seconds:.1f}x"
        )
    if not rows:
        return ""
    latency = settings["latency_ms"]
    concurrency = settings["concurrency"]
    saved = latency * (1 - 1 / concurrency)
    return (
        "**orgbridge against (d).** Both send the same pages and upserts, so the "
        f"difference is in waiting. orgbridge keeps {concurrency} upserts in "
        f"flight, which hides {saved:.0f} ms of each upsert's {latency:.0f} ms "
        "latency, and requests the next query page as soon as a page arrives; "
        "(d) waits for each call in turn. What is left is the emulator's service "
        "time, the same for both. Work time, orgbridge against (d): "
        + "; ".join(rows)
        + ". The time hidden is about upserts x L x (1 - 1/c), so by that estimate "
        "the gain grows with the latency (`--latency-ms`); only "
        f"{latency:.0f} ms was measured here."
    )


def _memory(summaries: list[Summary], results: dict[str, Any]) -> str:
    sizes: list[int] = results["settings"]["sizes"]
    peaks = [
        f"{summary.peak_rss_mb:.0f} MB at N={cases:,}"
        for cases in sizes
        if (summary := find(summaries, ORGBRIDGE, "new", cases)) is not None
    ]
    if not peaks:
        return ""
    baselines = results.get("import_baselines", {})
    started = baselines.get("orgbridge --help")
    scripts = baselines.get("import simple_salesforce")
    start_text = ""
    if started is not None and scripts is not None:
        start_text = (
            f" `orgbridge --help` alone peaks at {started:.0f} MB, and importing "
            f"requests and simple-salesforce at {scripts:.0f} MB."
        )
    theirs = [
        f"{summary.peak_rss_mb:.0f} MB at N={cases:,}"
        for cases in sizes
        if (summary := find(summaries, COLLECTIONS, "new", cases)) is not None
    ]
    theirs_text = f" (d) peaks at {', '.join(theirs)}." if theirs else ""
    return (
        "**Peak memory.** orgbridge's peak RSS: "
        + ", ".join(peaks)
        + "."
        + start_text
        + " Above its start, a run keeps two query pages (up to 2,000 rows each: "
        "the one being upserted and the one read ahead) and up to `concurrency` "
        "200-record upserts in memory, so the peak grows until the run fills whole "
        "pages and then stays flat in N."
        + theirs_text
        + " (d) keeps one page and one 200-record chunk, so it grows less above its "
        "start; (b) sends every Case in one body, so its peak grows with N."
    )
