"""SAC really trains: a continuous-action model learns to lap the practice oval in seconds, and a
stopped SAC training resumes (its replay buffer refilled, as the log says)."""

import pytest
import torch

from sim.actions import ActionSpace
from sim.library import load_track
from sim.paths import assets_dir
from trainer.driving import EvaluationRules, drive_laps
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.policy import load_policy
from trainer.sac import SACNetwork
from trainer.training import train_model

pytestmark = pytest.mark.slow
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def sac_model(name, cars=8, episodes=10, **cfg):
    """Tuned to lap within a minute on a busy 2-core machine: 8 sectors of LIDAR (the smallest input),
    speeds 0.5-2 m/s, 10 episodes an iteration, lr 1e-3 (DeepRacer's update-to-data ratio of 1 kept)."""
    meta = ModelMetadata(action_space=ActionSpace.continuous((-30.0, 30.0), (0.5, 2.0)), sensor=["SECTOR_LIDAR"],
                         training_algorithm="sac")
    hp = Hyperparameters(lr=0.001, num_episodes_between_training=episodes)
    return ModelStore().create(name, meta, hp, CENTRE_LINE, TrainingConfig(track="practice_oval", n_cars=cars,
                                                                          seed=0, **cfg))


def test_a_continuous_sac_model_learns_to_complete_laps_on_the_practice_oval():
    model = sac_model("sac-oval", target_progress=100.0)
    result = train_model(model, max_iterations=4, install_signals=False)
    assert result.status == "ready", result.reason
    assert "target_progress" in result.reason, result.reason  # every evaluation lap completed
    policy = load_policy(model, "best")
    assert isinstance(policy.agent, SACNetwork)
    [lap] = drive_laps(policy, load_track("practice_oval"), EvaluationRules(laps=1))
    assert lap.completed and lap.off_track == 0, lap
    rows = model.read_iterations()
    assert rows[-1]["eval"]["laps_completed"] == 5
    assert {"alpha", "q_mean", "replay_size", "entropy", "policy_loss", "value_loss"} <= set(rows[-1])
    assert "SAC" in (model.path / "logs" / "training.log").read_text()


def test_a_stopped_sac_training_resumes_with_an_empty_replay_buffer_and_says_so():
    model = sac_model("sac-resume", cars=2, episodes=2)
    assert train_model(model, max_iterations=1, install_signals=False).status == "ready"
    first = load_policy(model, "latest").agent.state_dict()
    assert train_model(model, max_iterations=1, install_signals=False).status == "ready"
    assert [c["iteration"] for c in model.list_checkpoints()] == [0, 1]
    log = (model.path / "logs" / "training.log").read_text()
    assert "replay buffer starts empty" in log
    rows = model.read_iterations()
    assert rows[1]["replay_size"] == rows[1]["samples"]  # refilled from nothing
    second = load_policy(model, "latest").agent.state_dict()
    assert any(not torch.equal(first[k], second[k]) for k in first)
