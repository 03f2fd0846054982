"""Stop conditions with DeepRacer's meanings: the time limit ends a training whatever the reward's
scale, ``term_cond_max_episodes`` counts training iterations, ``term_cond_avg_score`` stops nothing,
and the reason shown (status, ``trackside train``, training.log) is the one that happened."""

import json

import pytest
import torch
from click.testing import CliRunner

from gui.cli import main
from sim.actions import ActionSpace
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.training import train_model

pytestmark = pytest.mark.slow
HUGE = "def reward_function(params):\n    return 1e4\n"
"""A reward paying far above DeepRacer's default term_cond_avg_score (350) from the first step."""


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def make_model(name, hp: Hyperparameters, **cfg):
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    return ModelStore().create(name, meta, hp, HUGE, TrainingConfig(track="practice_oval", n_cars=4, **cfg))


def test_train_minutes_runs_to_the_time_limit_whatever_the_reward_scale(tmp_path):
    reward = tmp_path / "huge.py"
    reward.write_text(HUGE)
    runner = CliRunner()
    created = runner.invoke(main, ["model", "create", "big", "--track", "practice_oval", "--cars", "4",
                                   "--reward", str(reward)], catch_exceptions=False)
    assert created.exit_code == 0, created.output
    result = runner.invoke(main, ["train", "big", "--minutes", "0.3"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("stops at the first of: time limit of 0.3 min, "
            "1000 training iterations (term_cond_max_episodes)") in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("ready: time limit of 0.3 min reached."), last

    model = ModelStore().get("big")
    assert model.hyperparameters() == Hyperparameters()  # DeepRacer's default stop conditions
    assert model.status().reason == "time limit of 0.3 min reached"
    its = model.read_iterations()
    assert its[0]["mean_reward"] > 350 * 10  # the old average-score rule would have stopped here
    assert len(its) >= 2 and its[-1]["elapsed_s"] >= 0.3 * 60
    log = (model.path / "logs" / "training.log").read_text()
    assert "ready: time limit of 0.3 min reached" in log


def test_term_cond_max_episodes_counts_training_iterations():
    hp = Hyperparameters(term_cond_max_episodes=2, num_episodes_between_training=4)
    model = make_model("two", hp)
    result = train_model(model, install_signals=False)
    assert result.status == "ready" and result.iterations == 2 and result.episodes >= 8
    reason = "2 training iterations done (term_cond_max_episodes)"
    assert result.reason == reason and model.status().reason == reason
    assert [r["iteration"] for r in model.read_iterations()] == [0, 1]
    log = (model.path / "logs" / "training.log").read_text()
    assert "2 training iterations (term_cond_max_episodes)" in log and f"ready: {reason}" in log


def test_the_models_own_episode_limit_stays_an_episode_limit_and_says_so():
    model = make_model("eps", Hyperparameters(num_episodes_between_training=4), max_episodes=6)
    result = train_model(model, install_signals=False)
    assert result.reason == "6 episodes done (max_episodes)" and result.episodes >= 6
    assert result.iterations == len(model.read_iterations()) <= 2
    saved = json.loads((model.path / "ip" / "hyperparameters.json").read_text())
    assert saved["term_cond_avg_score"] == 350.0  # kept for DeepRacer's files, though it stops nothing
