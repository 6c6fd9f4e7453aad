"""`make bench`: run every benchmark module in this folder, one after another.

Each prints its own figures; targets are checked as ratios or values measured in the
same run. `python -m bench --quick` runs smaller sizes (a smoke run)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main() -> None:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    failed = []
    for name in names:
        started = time.perf_counter()
        print(f"\n### {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            module.main()
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(name)
        except Exception as exc:  # report and go on with the other benchmarks
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
            failed.append(name)
        print(f"### {name} took {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
