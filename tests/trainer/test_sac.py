"""SAC's pieces without training: the squashed actor, one update, the targets, sac_alpha, the refusal
of SAC with a discrete action space, and a SAC checkpoint through the one policy loader."""

import json

import numpy as np
import pytest
import torch

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.paths import assets_dir
from trainer.algorithms import build_network
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import MetadataError, ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.policy import load_policy
from trainer.sac import SAC, TAU, SACNetwork, build_sac_network

SPACE = ActionSpace.continuous((-30.0, 30.0), (0.5, 2.0))
OBS = (8,)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def sac_for(alpha=0.2, cars=2, seed=0, **hp):
    torch.manual_seed(seed)
    env = RacingEnv(load_track("practice_oval"), SPACE, EnvConfig(n_cars=cars, sensor="SECTOR_LIDAR"))
    net = build_sac_network(env.observe().shape[1:], SPACE)
    return SAC(env, net, Hyperparameters(sac_alpha=alpha, batch_size=32, **hp), seed=seed)


def fill(sac, n=256, seed=1):
    rng = np.random.default_rng(seed)
    obs = rng.uniform(0, 3, (n, *OBS)).astype(np.float32)
    sac.buffer.add(obs, rng.uniform(0, 2, n).astype(np.float32), rng.uniform(-1, 1, (n, 2)).astype(np.float32),
                   rng.uniform(0, 1, n).astype(np.float32), obs[::-1].copy(), rng.uniform(0, 2, n).astype(np.float32),
                   (rng.random(n) < 0.1).astype(np.float32))


def test_actor_samples_in_the_unit_box_and_the_mean_maps_onto_the_ranges():
    net = SACNetwork(OBS, [-30.0, 0.5], [30.0, 2.0])
    obs, speed = torch.rand(5, *OBS) * 3, torch.rand(5) * 2
    action, logp = net.sample(obs, speed)
    assert action.shape == (5, 2) and logp.shape == (5,)
    assert action.abs().max() <= 1.0
    greedy = net.act_greedy(obs, speed)
    mean, _ = net.mean_and_log_std(obs, speed)
    assert torch.equal(greedy, torch.tanh(mean))
    command = net.to_command(greedy)
    assert command.shape == (5, 2)
    assert (command[:, 0] >= -30).all() and (command[:, 0] <= 30).all()
    assert (command[:, 1] >= 0.5).all() and (command[:, 1] <= 2.0).all()
    assert np.allclose(net.to_command(torch.tensor([[1.0, -1.0], [0.0, 0.0]])), [[30.0, 0.5], [0.0, 1.25]])


def test_log_probability_is_in_the_ranges_units():
    """Wider ranges spread the same policy over more degrees and m/s: log-probabilities fall by
    the log of the scale (DeepRacer's sac_head rescales them the same way)."""
    torch.manual_seed(0)
    narrow = SACNetwork(OBS, [-1.0, -1.0], [1.0, 1.0])
    wide = SACNetwork(OBS, [-30.0, 0.5], [30.0, 2.0])
    wide.load_state_dict(narrow.state_dict() | {k: v for k, v in wide.state_dict().items() if "action_" in k})
    obs, speed = torch.rand(4, *OBS), torch.rand(4)
    _, lp_narrow = narrow.sample(obs, speed, torch.Generator().manual_seed(3))
    _, lp_wide = wide.sample(obs, speed, torch.Generator().manual_seed(3))
    assert torch.allclose(lp_narrow - lp_wide, torch.full((4,), float(np.log(30.0) + np.log(0.75))), atol=1e-4)


def test_one_update_moves_critics_and_actor_and_the_targets_follow_by_polyak():
    sac = sac_for()
    fill(sac)
    net = sac.net
    before = {k: v.clone() for k, v in net.state_dict().items()}
    stats = sac.update_step(sac.buffer.sample(32, np.random.default_rng(0)))
    assert {"policy_loss", "value_loss", "entropy", "q_mean"} <= set(stats)
    after = net.state_dict()
    for name in ("q1.head.0.weight", "q2.head.2.weight", "actor_mean.weight", "actor_torso.dense.0.weight"):
        assert not torch.equal(before[name], after[name]), name
    for key in [k for k in after if k.startswith(("q1_target.", "q2_target."))]:
        online = key.replace("_target", "")
        want = (1 - TAU) * before[key] + TAU * after[online]
        assert torch.allclose(after[key], want, atol=1e-6), key
        assert not torch.equal(after[key], after[online])


def test_an_iteration_collects_episodes_and_learns_one_step_per_transition():
    sac = sac_for(cars=2, num_episodes_between_training=2)
    collected, stats = sac.iteration()
    assert len(collected.episodes) >= 2
    assert sac.buffer.size == collected.n_samples == stats["samples"] > 0
    assert stats["gradient_steps"] == collected.n_samples  # DeepRacer's update-to-data ratio of 1
    assert sac.env_steps >= collected.n_samples


def entropy_after_updates(alpha, steps=25):
    sac = sac_for(alpha=alpha, seed=0, lr=0.01)
    fill(sac)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        sac.update_step(sac.buffer.sample(32, rng))
    obs = torch.as_tensor(sac.buffer.obs[:256])
    _, log_std = sac.net.mean_and_log_std(obs, torch.as_tensor(sac.buffer.speed[:256]))
    return log_std.mean().item()


def test_sac_alpha_weighs_entropy():
    """The same data and seed: a large sac_alpha keeps the policy wide, none lets it narrow."""
    assert entropy_after_updates(1.0) > entropy_after_updates(0.0) + 1.0


def test_sac_with_a_discrete_action_space_is_refused_as_deepracer_does():
    with pytest.raises(MetadataError, match="training_algorithm: sac needs a continuous action space") as exc:
        ModelMetadata(action_space=ActionSpace.from_console(), training_algorithm="sac")
    assert "\n" not in str(exc.value)
    text = json.dumps({"action_space": [{"steering_angle": 0, "speed": 1, "index": 0}], "sensor": ["LIDAR"],
                       "training_algorithm": "sac", "action_space_type": "discrete"})
    with pytest.raises(MetadataError, match="^model_metadata.json: training_algorithm: sac needs a continuous"):
        ModelMetadata.from_json(text)


def test_a_hand_edited_sac_discrete_model_does_not_train():
    from trainer.training import train_model

    meta = ModelMetadata(action_space=ActionSpace.from_console(), sensor=["SECTOR_LIDAR"])
    model = ModelStore().create("edited", meta, Hyperparameters(),
                                (assets_dir() / "reward_functions" / "centre_line.py").read_text(),
                                TrainingConfig(track="practice_oval", n_cars=2))
    d = json.loads(model.metadata_path.read_text())
    model.metadata_path.write_text(json.dumps(d | {"training_algorithm": "sac"}))
    with pytest.raises(MetadataError, match="sac needs a continuous action space"):
        train_model(model, max_iterations=1, install_signals=False)


def sac_model(name="sac-unit"):
    meta = ModelMetadata(action_space=SPACE, sensor=["SECTOR_LIDAR"], training_algorithm="sac")
    return ModelStore().create(name, meta, Hyperparameters(),
                               (assets_dir() / "reward_functions" / "centre_line.py").read_text(),
                               TrainingConfig(track="practice_oval", n_cars=2))


def test_a_sac_checkpoint_loads_through_the_policy_loader_and_drives():
    model = sac_model()
    net = build_network(OBS, model.metadata())
    assert isinstance(net, SACNetwork)
    model.write_checkpoint(0, {"agent": net.state_dict(), "optimizer": {}, "obs_shape": list(OBS), "iteration": 0},
                           {"episodes": 1, "time": 1.0})
    policy = load_policy(model, "latest")
    obs = np.random.default_rng(0).uniform(0, 3, (3, *OBS)).astype(np.float32)
    speed = np.ones(3, dtype=np.float32)
    expected = net.to_command(net.act_greedy(torch.as_tensor(obs), torch.as_tensor(speed)))
    assert np.array_equal(policy.act(obs, speed), expected)


def test_a_ppo_checkpoint_does_not_load_as_sac():
    from trainer.policy import PolicyError

    model = sac_model("sac-wrong")
    ppo = build_network(OBS, ModelMetadata(action_space=SPACE, sensor=["SECTOR_LIDAR"]))
    model.write_checkpoint(0, {"agent": ppo.state_dict(), "obs_shape": list(OBS), "iteration": 0},
                           {"episodes": 1, "time": 1.0})
    with pytest.raises(PolicyError, match="algorithm \\(sac\\)"):
        load_policy(model, "latest")


def test_onnx_export_of_a_sac_model_gives_the_squashed_mean(tmp_path):
    onnx = pytest.importorskip("onnx")
    from trainer.onnx_export import export_onnx

    model = sac_model("sac-onnx")
    net = build_network(OBS, model.metadata())
    model.write_checkpoint(0, {"agent": net.state_dict(), "obs_shape": list(OBS), "iteration": 0},
                           {"episodes": 1, "time": 1.0})
    graph = onnx.load(str(export_onnx(model, tmp_path / "sac.onnx")))
    onnx.checker.check_model(graph)
    assert [o.name for o in graph.graph.output] == ["action_mean"]
    from onnx.reference import ReferenceEvaluator

    obs = np.random.default_rng(0).uniform(0, 3, (2, *OBS)).astype(np.float32)
    speed = np.array([0.5, 1.5], dtype=np.float32)
    [mean] = ReferenceEvaluator(graph).run(None, {"observation": obs, "speed": speed})
    expected = net.act_greedy(torch.as_tensor(obs), torch.as_tensor(speed)).numpy()
    assert np.allclose(mean, expected, atol=1e-5)


def test_an_archive_with_sac_and_a_discrete_action_space_does_not_import(tmp_path):
    import io
    import tarfile

    from sim.errors import TracksideError
    from trainer.archive import import_model

    meta = json.dumps({"action_space": [{"steering_angle": 0, "speed": 1, "index": 0}], "sensor": ["LIDAR"],
                       "training_algorithm": "sac", "action_space_type": "discrete"}).encode()
    path = tmp_path / "dr-sac.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("model_metadata.json")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    with pytest.raises(TracksideError, match="sac needs a continuous action space") as exc:
        import_model(path, "dr-sac", store=ModelStore())
    assert "\n" not in str(exc.value)


def test_the_command_line_creates_sac_models_and_refuses_sac_with_discrete_actions():
    from click.testing import CliRunner

    from gui.cli import main

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    result = run("model", "create", "d", "--track", "practice_oval", "--algorithm", "sac")
    assert result.exit_code == 1 and "sac needs a continuous action space" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("model", "create", "c", "--track", "practice_oval", "--algorithm", "sac", "--continuous")
    assert result.exit_code == 0, result.stderr
    assert ModelStore().get("c").metadata().training_algorithm == "sac"
    shown = run("model", "show", "c").stdout
    assert "training_algorithm: sac" in shown and "sac_alpha=0.2" in shown and "num_epochs" not in shown
