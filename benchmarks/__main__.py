"""``python -m benchmarks NAME [NAME ...] [--repeats N] [--quick]``; ``--list`` shows the names; ``all`` runs every one."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks.harness import print_table, write_results


def available() -> list[str]:
    # Speed benchmarks only; quality runs (``*_quality.py``) train for minutes and have their own main().
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)])
                  if m.name not in {"harness", "__main__"} and not m.name.startswith("_") and not m.name.endswith("_quality"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark names, or 'all'")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per case (median is reported)")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    names = available() if args.names == ["all"] else args.names
    if args.list or not names:
        print("\n".join(available()))
        return 0
    unknown = [n for n in names if n not in available()]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; expected some of {available()}")
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        comparisons = module.run(repeats=args.repeats, quick=args.quick)
        print_table(name, comparisons)
        path = write_results(name, comparisons, args.repeats, args.quick)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
