"""A camera plus LIDAR model trains end to end on both sensors and drives from its checkpoint."""

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
from trainer.training import train_model

pytestmark = pytest.mark.slow
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


def test_a_camera_plus_lidar_model_trains_and_drives(tmp_path):
    torch.set_num_threads(1)
    meta = ModelMetadata(action_space=ActionSpace.from_console(2.0, 2, 30.0, 3),
                         sensor=["FRONT_FACING_CAMERA", "LIDAR"])
    hp = Hyperparameters(num_episodes_between_training=4, num_epochs=1, batch_size=64)
    model = ModelStore().create("cam-lidar", meta, hp, CENTRE_LINE, TrainingConfig(track="practice_oval", n_cars=2))
    result = train_model(model, max_iterations=1, install_signals=False)
    assert result.status == "ready", result
    assert "sensors FRONT_FACING_CAMERA + LIDAR" in model.log_path.read_text()
    policy = load_policy(model)
    assert policy.obs_shape == (60 * 80 + 64,)
    torso = policy.agent.torso
    assert torso.spec.camera == "FRONT_FACING_CAMERA" and torso.spec.lidar == "LIDAR"
    laps = drive_laps(policy, load_track("practice_oval"), EvaluationRules(laps=1, max_lap_s=5.0))
    assert len(laps) == 1
    try:
        import onnx
    except ImportError:
        return
    from trainer.onnx_export import export_onnx

    graph = onnx.load(str(export_onnx(model, tmp_path / "p.onnx")))
    dims = [d.dim_value for d in graph.graph.input[0].type.tensor_type.shape.dim]
    assert dims[1:] == [60 * 80 + 64]


def test_the_command_line_creates_stereo_plus_lidar_on_the_deep_network():
    from click.testing import CliRunner

    from gui.cli import main

    result = CliRunner().invoke(main, ["model", "create", "evo", "--track", "practice_oval", "--sensor",
                                       "STEREO_CAMERAS", "--sensor", "LIDAR", "--network",
                                       "DEEP_CONVOLUTIONAL_NETWORK_DEEP"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "STEREO_CAMERAS + LIDAR, DEEP_CONVOLUTIONAL_NETWORK_DEEP" in result.output
    meta = ModelStore().get("evo").metadata()
    assert meta.sensor == ["STEREO_CAMERAS", "LIDAR"] and meta.observation.shape == (2 * 120 * 160 + 64,)
