"""Run the benchmarks: ``python -m tests.bench [--only NAME]`` (``make bench ONLY=NAME``).

Each ``tests/bench/bench_*.py`` is a script that prints one JSON object per line with
at least ``bench`` (a dotted name), ``value`` and ``unit``. Each runs in its own
process, pinned to one thread for numpy and torch unless it says otherwise, so
numbers compare across commits and machines of the same kind.
"""

from __future__ import annotations

import argparse
import os
import re
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


BENCH_NAME = re.compile(r"[\"'`]([a-z0-9]+\.[a-z0-9_{}]+)[\"'`]")
"""A benchmark name as a script writes it: quoted, dotted, lower case (``sim.oa_lidar_steps_per_s``);
``{...}`` stands for a part filled in at run time."""


def _mentions(script: Path, text: str) -> bool:
    """A file runs when one of its benchmark names contains the text, or may (a name with a part
    filled in at run time); it filters itself by BENCH_ONLY. Other words in the file do not count
    (``oa`` is in ``float``)."""
    names = BENCH_NAME.findall(script.read_text(encoding="utf-8"))
    return any(text in name or "{" in name for name in names)

if __name__ == "__main__":
    sys.exit(main())
