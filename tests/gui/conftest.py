"""GUI test setup: Qt runs offscreen, every test has a fresh Trackside home (tests/conftest.py),
and a really trained tiny model is trained once per session and copied into each test's home."""

from __future__ import annotations

import os
import shutil

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported anywhere

import pytest  # noqa: E402

TINY = "tiny"
"""Name of the session's trained model."""


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory):
    """A model folder trained for real for two short iterations (a few seconds, once per session)."""
    import torch

    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig
    from trainer.training import train_model

    home = tmp_path_factory.mktemp("trained_home")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACKSIDE_HOME", str(home))
        store = ModelStore(home / "models", standard_dir=home / "no-standard")
        meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
        model = store.create(TINY, meta, Hyperparameters(num_episodes_between_training=4, num_epochs=1),
                             (assets_dir() / "reward_functions" / "centre_line.py").read_text(),
                             TrainingConfig(track="practice_oval", n_cars=4, max_minutes=5))
        result = train_model(model, max_iterations=2, install_signals=False)
    torch.set_num_threads(threads)
    assert result.status == "ready", result
    return model.path


@pytest.fixture
def trained_model(trained_model_dir, trackside_home) -> str:
    """The trained tiny model copied into this test's home; returns its name."""
    shutil.copytree(trained_model_dir, trackside_home / "models" / TINY)
    return TINY


@pytest.fixture
def standard_dir(trained_model_dir, tmp_path):
    """A stand-in for ``assets/standard_model``: a copy of the trained tiny model."""
    path = tmp_path / "standard_model"
    shutil.copytree(trained_model_dir, path)
    return path


@pytest.fixture
def ctx(qapp, trackside_home, tmp_path):
    """An :class:`AppContext` on this test's home, without the shipped standard model
    (tests that want one build a store with ``standard_dir``)."""
    from gui.context import AppContext
    from trainer.model_store import ModelStore

    context = AppContext()
    context.store = ModelStore(standard_dir=tmp_path / "no-standard")
    yield context
    context.settings.sync()
