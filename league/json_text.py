"""JSON text as Trackside writes it: the exports and every command's ``--json`` output.

A module of its own (standard library only) so that a quick command printing JSON loads
nothing else.
"""

from __future__ import annotations

import json
import math


def to_json(obj) -> str:
    """JSON text (the exports' and every ``--json`` output's); NaN and infinity, which JSON
    lacks, become null, and numpy scalars plain numbers."""
    def clean(o):
        if hasattr(o, "item") and callable(o.item):  # numpy scalars
            o = o.item()
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o
    return json.dumps(clean(obj), indent=2) + "\n"
