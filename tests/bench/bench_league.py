"""League benchmarks.

- ``eval.five_laps_s``: wall time of a 5-lap evaluation (trials, 2 s penalty, SIM_TRACE
  written) on ``workshop_loop`` with the standard model, or with a model trained for two
  iterations when the standard model is not installed; median of 3 after a warm-up.
- ``league.standings_10k_s``: standings (ranks, gaps, points) of one race holding 10,000
  submissions (3 laps each) from 1,000 racers, synthesised straight into the database.
- ``league.export_10k_s``: exporting that race: every lap as CSV (30,000 rows), the
  per-racer summary CSV and the HTML leaderboard.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time

import torch
from common import report, wanted

TRACK = "workshop_loop"
RACERS, SUBMISSIONS, LAPS = 1_000, 10_000, 3


def bench_evaluation() -> None:
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.driving import EvaluationRules
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig
    from trainer.training import train_model

    from league.evaluation import evaluate_model

    store = ModelStore()
    if store.exists("standard"):
        name, how = "standard", "standard model"
    else:
        name, how = "bench-eval", "trained 2 iterations"
        meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
        reward = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
        model = store.create(name, meta, Hyperparameters(), reward, TrainingConfig(track=TRACK, n_cars=16))
        train_model(model, max_iterations=2, install_signals=False)
    rules = EvaluationRules(laps=5, mode="trials", penalty_s=2.0)
    evaluate_model(name, TRACK, rules, simtrace=False)  # warm-up: track caches, sensor tables
    times, result = [], None
    for _ in range(3):
        t = time.perf_counter()
        result = evaluate_model(name, TRACK, rules)
        times.append(time.perf_counter() - t)
    s = result.summary
    report("eval.five_laps_s", statistics.median(times), "s", model=how, laps_completed=s["laps_completed"],
           best_lap_s=s["best_lap_s"], sim_s=round(sum(lap.time_s or 0.0 for lap in result.laps), 3), target="< 1")


def synthesise(db) -> str:
    """One race with SUBMISSIONS submissions of LAPS laps from RACERS racers, written in one transaction."""
    from league.db import now_iso, writing
    from league.races import create_race, score_laps

    race = create_race(db, "bench-cup", "workshop_loop_cup", laps=LAPS)
    rng = random.Random(0)
    now = now_iso()
    subs, laps = [], []
    for i in range(SUBMISSIONS):
        times = [rng.randint(15_000, 40_000) if rng.random() > 0.05 else None for _ in range(LAPS)]
        complete, score, best, total = score_laps(times, "best_lap")
        sid = i + 1
        subs.append((sid, race.id, i % RACERS + 1, "m", "final", 1, "0" * 64, now, int(complete), score, best, total,
                     sum(t is not None for t in times), 0, "{}"))
        laps += [(sid, k + 1, t, int(t is not None), 100.0 if t else 50.0, rng.randint(0, 2), 0, "lap_complete")
                 for k, t in enumerate(times)]
    with writing(db):
        db.conn.executemany("INSERT INTO racers (id, alias, display_name, created) VALUES (?, ?, ?, ?)",
                            [(i + 1, f"racer{i + 1:04d}", f"Racer {i + 1}", now) for i in range(RACERS)])
        db.conn.executemany("INSERT INTO submissions (id, race_id, racer_id, model, checkpoint, iteration, frozen_hash, "
                            "submitted_at, complete, score_ms, best_lap_ms, total_ms, laps_completed, off_track, "
                            "summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", subs)
        db.conn.executemany("INSERT INTO laps (submission_id, lap, time_ms, completed, progress, off_track, "
                            "penalty_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", laps)
    return race.name


def bench_league() -> None:
    from league.db import open_db
    from league.exports import export_laps, export_leaderboard
    from league.races import standings

    db = open_db()
    race = synthesise(db)
    standings(db, race)  # warm the page cache, as a server that has been running would be
    times = []
    for _ in range(5):
        t = time.perf_counter()
        rows = standings(db, race)
        times.append(time.perf_counter() - t)
    if wanted("league.standings_10k_s"):
        report("league.standings_10k_s", statistics.median(times), "s", racers=len(rows), submissions=SUBMISSIONS,
               target="< 0.2")
    if wanted("league.export_10k_s"):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            laps_csv = export_laps(db, "csv", race=race)
            summary = export_laps(db, "csv", race=race, summary=True)
            page = export_leaderboard(db, race, "html")
            times.append(time.perf_counter() - t)
        report("league.export_10k_s", statistics.median(times), "s", lap_rows=laps_csv.count("\n") - 1,
               summary_rows=summary.count("\n") - 1, html_kb=round(len(page) / 1024, 1), target="< 1")


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as home:
        os.environ["TRACKSIDE_HOME"] = home
        if wanted("eval.five_laps_s"):
            bench_evaluation()
        if wanted("league.standings_10k_s") or wanted("league.export_10k_s"):
            bench_league()


if __name__ == "__main__":
    main()
