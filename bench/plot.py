"""Plot throughput (Cases written per second of wall time) against N per method."""

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.analysis import summarize
from bench.scenarios import METHOD_LABELS, METHODS


def write_plot(results: dict[str, Any], path: Path) -> None:
    """Write a log-log PNG of median Cases per second against N, one line a method."""
    summaries = [s for s in summarize(results["measurements"]) if s.scenario == "new"]
    # A bare Figure on the Agg canvas needs no display and no pyplot state.
    figure = Figure(figsize=(8, 5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for method in METHODS:
        points = sorted(
            (s.cases_in_source, s.cases_per_second)
            for s in summaries
            if s.method == method and s.cases_per_second > 0
        )
        if not points:
            continue
        sizes, rates = zip(*points, strict=True)
        axes.plot(sizes, rates, marker="o", label=METHOD_LABELS[method])

    settings = results["settings"]
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("Cases in the source org (N)")
    axes.set_ylabel("Cases written to the target per second (wall time)")
    axes.set_title(
        f"Throughput, {settings['latency_ms']:.0f} ms injected latency per request"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
