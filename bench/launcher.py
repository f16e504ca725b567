"""Start a command; write its wall time, exit status, peak RSS and CPU time as JSON.

Usage: ``python -I -S bench/launcher.py RESULT.json COMMAND [ARG ...]``

Linux carries a process's peak RSS across fork and exec: a child forked from the
benchmark harness, which hosts the emulated orgs, reports at least the harness's
RSS as its own ``ru_maxrss``. This launcher uses only the standard library and
starts without site-packages (about 10 MB), so the ``ru_maxrss`` that ``os.wait4``
returns for its child is the child's own peak unless that is below 10 MB.
"""

import json
import os
import subprocess
import sys
import time


def main() -> None:
    """Run the command, wait for it with wait4 and write the result file."""
    result_path, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    child = subprocess.Popen(argv)
    _, status, rusage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)

    result = {
        "exit_code": child.returncode,
        "wall_seconds": wall,
        # On Linux ru_maxrss is in kibibytes.
        "peak_rss_kib": rusage.ru_maxrss,
        "cpu_seconds": rusage.ru_utime + rusage.ru_stime,
    }
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
