"""deepracer-utils on a model folder after a real training: the same laps, completion rate and
episodes as Trackside's own metrics (``metrics/episodes.jsonl``)."""

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from trainer.model_store import ModelStore
from trainer.training import train_model

pytestmark = pytest.mark.slow
DT = 1 / 15
EPISODES = 6  # per iteration: small, so that several cars often end in an iteration's last step


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The standard model cloned and trained 3 iterations with 8 cars (it completes laps from the start)."""
    import os

    home = tmp_path_factory.mktemp("analysis_home")
    old, os.environ["TRACKSIDE_HOME"] = os.environ.get("TRACKSIDE_HOME"), str(home)
    torch.set_num_threads(1)
    try:
        store = ModelStore()
        std = store.get("standard")
        model = store.clone("standard", "analysed",
                            hyperparameters=replace(std.hyperparameters(), num_episodes_between_training=EPISODES,
                                                    num_epochs=1),
                            training_config={**std.training_config().to_dict(), "n_cars": 8,
                                             "cloned_from": None, "init_from": None})
        result = train_model(model, max_iterations=3, install_signals=False)
        assert result.status == "ready", result.reason
        yield model
    finally:
        if old is None:
            os.environ.pop("TRACKSIDE_HOME", None)
        else:
            os.environ["TRACKSIDE_HOME"] = old


def test_simulation_agg_matches_trackside_metrics(trained):
    from deepracer.logs import AnalysisUtils, DeepRacerLog

    episodes = trained.read_episodes()
    assert [sum(1 for e in episodes if e["iteration"] == i) for i in range(3)] == [EPISODES] * 3
    log = DeepRacerLog(str(trained.path))
    log.load_training_trace()
    df = log.dataframe()
    # deepracer-utils' own numbering is the episode number: every episode traced, none split.
    assert (df["unique_episode"] == df["episode"]).all()
    agg = AnalysisUtils.simulation_agg(df)
    assert sorted(agg["episode"]) == [e["episode"] for e in episodes]
    ours = {e["episode"]: e for e in episodes}
    completed = [e for e in episodes if e["status"] == "lap_complete"]
    assert len(completed) >= 3, "the standard model should complete laps"
    assert agg["complete"].mean() == pytest.approx(len(completed) / len(episodes))
    for _, row in agg.iterrows():
        e = ours[row["episode"]]
        assert row["steps"] == e["steps"] and row["iteration"] == e["iteration"]
        assert row["progress"] == pytest.approx(e["progress"], abs=1e-4)
        if e["lap_time"] is not None:
            # Whole steps from the prepare row against the crossing interpolated in the last step.
            assert -1e-3 <= e["lap_time"] - row["time"] < DT + 1e-3, (e, row["time"])


def test_every_iteration_file_holds_whole_episodes(trained):
    for path in sorted(trained.training_simtrace_dir.glob("*-iteration.csv")):
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        by_episode: dict[int, list[dict]] = {}
        for r in rows:
            by_episode.setdefault(int(r["episode"]), []).append(r)
        assert len(by_episode) == EPISODES
        for ep, rs in by_episode.items():
            steps = [int(r["steps"]) for r in rs]
            assert steps == list(range(1, len(rs) + 1)), (path.name, ep)
            assert rs[0]["episode_status"] == "prepare"
            assert [r["done"] for r in rs] == ["False"] * (len(rs) - 1) + ["True"]
            t = np.array([float(r["tstamp"]) for r in rs])
            assert np.allclose(np.diff(t), DT, atol=1.5e-3)


def test_training_metrics_json_loads_in_deepracer_utils(trained):
    from deepracer.logs import TrainingMetrics

    path = trained.path / "metrics" / "TrainingMetrics.json"
    raw = json.loads(path.read_text())
    assert raw["version"] == 2.0 and raw["best_model_metric"] == "progress"
    tm = TrainingMetrics(None, fname=str(path))
    train = tm.getTraining()
    episodes = trained.read_episodes()
    assert len(train) == len(episodes)
    assert train["iteration"].tolist() == [e["iteration"] for e in episodes]
    assert train["complete"].mean() == pytest.approx(np.mean([e["status"] == "lap_complete" for e in episodes]))
    assert train["completion"].tolist() == [int(e["progress"]) for e in episodes]
    assert train["reward"].tolist() == [round(e["reward"]) for e in episodes]
    laps = [e["lap_time"] for e in episodes if e["lap_time"] is not None]
    assert sorted(train[train["complete"] == 1]["time"]) == pytest.approx(sorted(laps), abs=1e-3)
    evals = tm.getEvaluation()
    its = trained.read_iterations()
    assert len(evals) == 5 * len(its)
    assert evals.groupby("iteration")["complete"].sum().tolist() == [r["eval"]["laps_completed"] for r in its]
    summary = tm.getSummary()
    assert len(summary) == 3 and summary["train_episodes"].tolist() == [EPISODES] * 3
