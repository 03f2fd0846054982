"""Real PPO training on small budgets: it learns, it stops cleanly, it fails clearly, it resumes."""

import threading

import numpy as np
import pytest
import torch

from sim.actions import ActionSpace
from sim.library import load_track
from sim.paths import assets_dir
from trainer.driving import EvaluationRules, evaluate_policy, greedy_actor, summarize
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.policy import load_policy
from trainer.training import request_stop, train_model

pytestmark = pytest.mark.slow
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def make_model(name="m", reward=CENTRE_LINE, track="practice_oval", cars=16, sensor="LIDAR", **cfg):
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=[sensor])
    return ModelStore().create(name, meta, Hyperparameters(), reward,
                               TrainingConfig(track=track, n_cars=cars, **cfg))


def mean_progress(act, track, space, laps=4):
    rules = EvaluationRules(laps=laps, mode="trials", penalty_s=None)
    return summarize(evaluate_policy(act, track, space, "LIDAR", rules))["progress"]


def test_training_beats_a_random_policy_on_the_practice_oval():
    track = load_track("practice_oval")
    space = ActionSpace.from_console(3.0, 3, 30.0, 5)
    rng = np.random.default_rng(0)
    random_progress = np.mean([mean_progress(lambda obs, speed: rng.integers(0, 15, 1), track, space, laps=1)
                               for _ in range(10)])
    model = make_model()
    result = train_model(model, max_iterations=4, install_signals=False)
    assert result.status == "ready"
    agent = load_policy(model, "best").agent
    trained = mean_progress(greedy_actor(agent), track, space)
    assert trained > random_progress + 30, (trained, random_progress)
    # Metrics: one line per episode and per iteration, with what a viewer plots.
    its = model.read_iterations()
    assert [r["iteration"] for r in its] == [0, 1, 2, 3]
    assert {"mean_reward", "mean_progress", "completion_rate", "entropy", "policy_loss", "value_loss",
            "env_steps_per_s", "eval"} <= set(its[0])
    assert len(model.read_episodes()) == its[-1]["episodes"]
    assert model.status().status == "ready"


def test_a_failing_reward_function_fails_the_model_with_step_and_params():
    source = (
        "calls = [0]\n"
        "def reward_function(params):\n"
        "    calls[0] += 1\n"
        "    if calls[0] > 300:\n"
        "        return float('nan') if params['x'] > -1e9 else 1.0\n"
        "    return 1.0\n"
    )
    model = make_model("broken", reward=source, cars=8)
    result = train_model(model, max_iterations=50, install_signals=False)
    assert result.status == "failed"
    st = model.status()
    assert st.status == "failed"
    assert "nan" in st.reason.lower()
    assert st.detail["step"] > 0 and "x" in st.detail["params"]
    # Checkpoints written before the failure still load.
    if model.list_checkpoints():
        load_policy(model, "latest")


def test_stop_request_ends_training_ready_and_training_resumes():
    model = make_model("stoppable", cars=8)
    timer = threading.Timer(1.0, request_stop, args=(model,))
    timer.start()
    result = train_model(model, minutes=5, install_signals=False)
    timer.cancel()
    assert result.status == "ready" and "request" in result.reason
    first = [c["iteration"] for c in model.list_checkpoints()]
    assert first and first[0] == 0
    result = train_model(model, max_iterations=1, install_signals=False)
    again = [c["iteration"] for c in model.list_checkpoints()]
    assert again == first + [first[-1] + 1]


def test_clone_continues_from_the_source_weights():
    src = make_model("source", cars=8)
    train_model(src, max_iterations=1, install_signals=False)
    clone = ModelStore().clone("source", "copy")
    a = load_policy(src, src.pick_checkpoint()).agent
    b = load_policy(clone, "initial").agent
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(pa, pb)
    result = train_model(clone, max_iterations=1, install_signals=False)
    assert result.status == "ready"


def test_training_folder_opens_in_deepracer_utils():
    from deepracer.logs import AnalysisUtils, DeepRacerLog

    model = make_model("analysed", cars=8)
    train_model(model, max_iterations=2, install_signals=False)
    log = DeepRacerLog(str(model.path))
    log.load_training_trace()
    df = log.dataframe()
    assert len(df) > 100
    assert {"episode", "steps", "x", "y", "progress", "episode_status"} <= set(df.columns)
    summary = AnalysisUtils.simulation_agg(df)
    assert len(summary) > 0 and summary["progress"].max() > 0


def test_onnx_export_matches_the_policy(tmp_path):
    import onnx

    from trainer.onnx_export import export_onnx

    model = make_model("exported", cars=8)
    train_model(model, max_iterations=1, install_signals=False)
    path = export_onnx(model, tmp_path / "policy.onnx")
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    assert [i.name for i in graph.graph.input] == ["observation", "speed"]


def test_a_stateful_community_reward_trains():
    """A class at module level holding the previous step (tests/sim/stateful_reward.py) asserts
    that steps follow one another within an episode: training calls it as DeepRacer does."""
    from pathlib import Path

    source = (Path(__file__).parents[1] / "sim" / "stateful_reward.py").read_text(encoding="utf-8")
    model = make_model("stateful", reward=source, cars=4)
    result = train_model(model, max_iterations=1, install_signals=False)
    assert result.status != "failed", model.status().reason
    assert model.status().status != "failed"
    # Episodes did end and restart at steps == 1 during the run: without its reset the same class fails.
    no_reset = source.replace("if steps == 1 or self.prev_steps is None:", "if self.prev_steps is None:")
    broken = make_model("stateful_no_reset", reward=no_reset, cars=4)
    assert train_model(broken, max_iterations=1, install_signals=False).status == "failed"
    assert "steps jumped from" in broken.status().reason
