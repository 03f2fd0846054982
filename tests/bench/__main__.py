"""Run the benchmarks: ``python -m tests.bench [--only NAME]`` (``make bench ONLY=NAME``).

Each ``tests/bench/bench_*.py`` is a script that prints one JSON object per line with
at least ``bench`` (a dotted name), ``value`` and ``unit``. Each runs in its own
process, pinned to one thread for numpy and torch unless it says otherwise, so
numbers compare across commits and machines of the same kind.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only benchmark files or names containing this text")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               BENCH_ONLY=args.only, PYTHONPATH=os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]))
    failed = 0
    for script in scripts:
        if args.only and args.only not in script.stem and not _mentions(script, args.only):
            continue
        result = subprocess.run([sys.executable, str(script)], env=env)
        failed |= result.returncode != 0
    return 1 if failed else 0


def _mentions(script: Path, text: str) -> bool:
    """A file runs when one of its benchmark names contains the text (it filters itself by BENCH_ONLY)."""
    return text in script.read_text(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
