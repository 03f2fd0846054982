"""Helpers for benchmark scripts: JSON-line output and the BENCH_ONLY filter."""

from __future__ import annotations

import json
import math
import os
import sys


def wanted(name: str) -> bool:
    """True unless ``make bench ONLY=...`` names something else."""
    only = os.environ.get("BENCH_ONLY", "")
    return not only or only in name or only in os.path.basename(sys.argv[0])


def report(bench: str, value: float, unit: str, **extra) -> None:
    """Print one benchmark result as a JSON line."""
    value = float(value)
    # JSON has no NaN: a target not reached is reported as null with a note.
    out = round(value, 4) if math.isfinite(value) else None
    print(json.dumps({"bench": bench, "value": out, "unit": unit, **extra}), flush=True)
