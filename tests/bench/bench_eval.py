"""Lap-to-lap spread of an evaluation: ``eval.lap_spread_s``.

The bundled standard model drives 10 trials (each lap from a standing start, DeepRacer's 2 s
off-track penalty) on its own track, ``workshop_loop``, with the default noise model
(``sim.noise``) and a fixed seed, so the number is the same on every run of one commit. The value
is the standard deviation (population, ddof 0) of the completed laps' times; DeepRacer's laps of a
good model vary by a few hundredths to a few tenths of a second. Without noise it would be 0.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from common import report, wanted

SEED = 2026
LAPS = 10


def lap_spread() -> dict:
    from league.evaluation import evaluate_model
    from trainer.driving import EvaluationRules
    from trainer.model_store import ModelStore

    store = ModelStore()
    model = store.get("standard")
    track = model.training_config().track
    ev = evaluate_model(model, track, EvaluationRules(laps=LAPS, seed=SEED), simtrace=False)
    times = [lap.time_s for lap in ev.laps if lap.completed]
    return {"spread": float(np.std(times)) if len(times) > 1 else float("nan"), "track": track,
            "completed": len(times), "mean_lap_s": round(float(np.mean(times)), 3) if times else None,
            "best_lap_s": round(min(times), 3) if times else None,
            "off_track": sum(lap.off_track for lap in ev.laps)}


if __name__ == "__main__":
    if wanted("eval.lap_spread_s"):
        os.environ.setdefault("TRACKSIDE_HOME", tempfile.mkdtemp(prefix="trackside-bench-eval-"))
        r = lap_spread()
        report("eval.lap_spread_s", r["spread"], "s", laps=LAPS, seed=SEED, track=r["track"],
               laps_completed=r["completed"], mean_lap_s=r["mean_lap_s"], best_lap_s=r["best_lap_s"],
               off_track=r["off_track"])
