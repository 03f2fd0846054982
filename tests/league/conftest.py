"""Fixtures shared by the league tests: one small model trained once per session."""

import shutil

import pytest
import torch

from sim.actions import ActionSpace
from sim.paths import assets_dir
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig

CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
SPACE = ActionSpace.from_console(3.0, 3, 30.0, 5)


@pytest.fixture(scope="session")
def trained_folder(tmp_path_factory):
    """A model trained two iterations on practice_oval, once per session."""
    folder = tmp_path_factory.getbasetemp() / "league-trained-model"
    if not (folder / "checkpoints" / "index.json").exists():
        from trainer.training import train_model

        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TRACKSIDE_HOME", str(tmp_path_factory.mktemp("train-home")))
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            m = ModelStore().create("trained", ModelMetadata(action_space=SPACE, sensor=["LIDAR"]), Hyperparameters(),
                                    CENTRE_LINE, TrainingConfig(track="practice_oval", n_cars=16))
            train_model(m, max_iterations=2, install_signals=False)
            torch.set_num_threads(threads)
            shutil.copytree(m.path, folder)
    return folder


@pytest.fixture
def trained(trained_folder):
    """The trained model, copied into this test's home as ``racer1``."""
    shutil.copytree(trained_folder, ModelStore().root / "racer1")
    return ModelStore().get("racer1")
