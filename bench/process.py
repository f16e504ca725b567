"""Run one method as a child process and measure its wall time and peak RSS."""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3600.0
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"


class MethodFailedError(RuntimeError):
    """A method's process exited with an unexpected code or printed no result."""


@dataclass(frozen=True)
class ProcessResult:
    """The exit code, wall time, peak RSS, CPU time and output of one child process."""

    exit_code: int
    wall_seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    stdout: str
    stderr: str

    def result_line(self) -> dict[str, Any]:
        """Return the JSON object of the last stdout line that is one."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        raise MethodFailedError(
            f"no JSON result line in stdout; stderr ends with: {self.stderr[-800:]}"
        )


def run_measured(
    argv: list[str], *, env: dict[str, str], workdir: Path, label: str
) -> ProcessResult:
    """Run ``argv`` to completion; return its exit code, wall time and peak RSS.

    The command runs under ``bench/launcher.py``, which measures the wall time from
    the command's start to its exit and reads its ``ru_maxrss`` with ``os.wait4``.
    The launcher's docstring gives the reason the harness cannot read it itself. Output
    goes to files in ``workdir`` rather than pipes, so a chatty child cannot block
    on a full pipe.
    """
    stdout_path = workdir / f"{label}.stdout"
    stderr_path = workdir / f"{label}.stderr"
    result_path = workdir / f"{label}.result.json"
    launcher = [sys.executable, "-I", "-S", str(LAUNCHER), str(result_path), *argv]
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        child = subprocess.Popen(
            launcher,
            stdout=out,
            stderr=err,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
        _wait(child)

    measured = json.loads(result_path.read_text(encoding="utf-8"))
    result = ProcessResult(
        exit_code=int(measured["exit_code"]),
        wall_seconds=float(measured["wall_seconds"]),
        peak_rss_mb=int(measured["peak_rss_kib"]) / 1024.0,
        cpu_seconds=float(measured["cpu_seconds"]),
        stdout=stdout_path.read_text(encoding="utf-8", errors="replace"),
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
    )
    logger.info(
        "%s: exit %d in %.2f s, peak RSS %.1f MB",
        label,
        result.exit_code,
        result.wall_seconds,
        result.peak_rss_mb,
    )
    return result


def _wait(child: subprocess.Popen[bytes]) -> None:
    # The launcher and the command share a new session, so a hung run is killed
    # as a whole process group.
    def kill() -> None:
        os.killpg(child.pid, signal.SIGKILL)

    killer = threading.Timer(TIMEOUT_SECONDS, kill)
    killer.start()
    try:
        exit_code = child.wait()
    finally:
        killer.cancel()
    if exit_code != 0:
        raise MethodFailedError(
            f"{child.args!r} exited {exit_code} (killed after "
            f"{TIMEOUT_SECONDS:.0f} s if negative)"
        )
