"""Runs crafted-file cases in this (child) process under a memory limit and reports each.

``python child.py SPEC.json``: ``{"limit_gb": 3, "setup": code, "cases": {label: code}}``.
The setup runs once; then each case's code runs with its resident-memory peak reset first.
Prints one JSON line: ``{label: {"error": class name, "mro": [...], "message": ...,
"seconds": ..., "peak_rss_mb": ...}}`` ("error" is null when the case raised nothing).
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:  # Linux: "5" resets the peak resident set size (VmHWM)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def main() -> None:
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    limit = int(spec.get("limit_gb", 3) * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    namespace: dict = {}
    exec(spec.get("setup", ""), namespace)  # noqa: S102 - the test's own code
    results = {}
    for label, code in spec["cases"].items():
        _reset_peak()
        start = time.perf_counter()
        error = None
        try:
            exec(code, namespace)  # noqa: S102
        except BaseException as err:  # noqa: BLE001 - reported to the test
            error = err
        results[label] = {
            "error": None if error is None else type(error).__name__,
            "mro": [] if error is None else [c.__name__ for c in type(error).__mro__],
            "message": "" if error is None else str(error),
            "seconds": time.perf_counter() - start,
            "peak_rss_mb": _peak_rss_mb(),
        }
    print("RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main()
