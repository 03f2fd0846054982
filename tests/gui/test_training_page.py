"""The training monitor drives a real training process: start, watch, detach, attach, stop, fail."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import signal  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from trainer import training_process as tp  # noqa: E402
from gui.context import AppContext  # noqa: E402
from gui.pages.training import TrainingPage  # noqa: E402
from sim.actions import ActionSpace  # noqa: E402
from sim.paths import assets_dir  # noqa: E402
from trainer.hyperparameters import Hyperparameters  # noqa: E402
from trainer.metadata import ModelMetadata  # noqa: E402
from trainer.model_store import ModelStore, TrainingConfig  # noqa: E402

pytestmark = pytest.mark.slow
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


def make_model(name, reward=CENTRE_LINE):
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    return ModelStore().create(name, meta, Hyperparameters(), reward,
                               TrainingConfig(track="practice_oval", n_cars=8, max_minutes=5))


@pytest.fixture(autouse=True)
def no_stray_training():
    """Whatever a test leaves running is ended, so no process outlives the test."""
    yield
    for key, proc in list(tp._children.items()):
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        tp._children.pop(key, None)


def open_page(qtbot):
    page = TrainingPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    return page


def drawn(item) -> int:
    x, _ = item.getData()
    return 0 if x is None else int(np.isfinite(x).sum())


def test_start_watch_detach_reattach_and_stop(qtbot):
    model = make_model("learner")
    page = open_page(qtbot)
    assert page.model.name == "learner" and page.start_button.isEnabled() and not page.stop_button.isEnabled()
    qtbot.mouseClick(page.start_button, qtbot_button())
    qtbot.waitUntil(lambda: page.chip.text() == "Training", timeout=30_000)
    # Cars arrive from the process's telemetry and are drawn with their trails and the LIDAR rays.
    qtbot.waitUntil(lambda: drawn(page.track_view._cars) > 0, timeout=30_000)
    assert drawn(page.track_view._trails) > 0 and drawn(page.rays) > 0
    redraws = page.redraws
    qtbot.wait(500)
    assert page.redraws > redraws  # the view keeps moving, from its timer
    # The first iteration's episodes reach the reward plot, its evaluation the other plots.
    qtbot.waitUntil(lambda: drawn(page.curves.reward_dots) >= 20 and drawn(page.curves.progress_line) >= 1, timeout=40_000)
    assert page.facts.facts["steps"].value.text() != "-"
    qtbot.waitUntil(lambda: "iteration 0:" in page.log.toPlainText(), timeout=10_000)

    # Closing the window only detaches; the training goes on and a new window attaches to it.
    page.shutdown()
    page.close()
    assert tp.is_running(model)
    again = open_page(qtbot)
    assert again.model.name == "learner"
    qtbot.waitUntil(lambda: again.chip.text() == "Training" and again.stop_button.isEnabled(), timeout=10_000)

    qtbot.mouseClick(again.stop_button, qtbot_button())
    qtbot.waitUntil(lambda: model.status().status == "ready" and not tp.is_running(model), timeout=40_000)
    qtbot.waitUntil(lambda: again.chip.text() == "Ready", timeout=5_000)
    assert "stopped on request" in (model.status().reason or "")
    qtbot.waitUntil(again.start_button.isEnabled, timeout=5_000)
    assert again.start_button.text() == "Continue training"
    assert not again.banner.isVisible()


def test_a_failing_reward_function_shows_its_reason(qtbot):
    broken = ("calls = [0]\n"
              "def reward_function(params):\n"
              "    calls[0] += 1\n"
              "    if calls[0] > 200:\n"
              "        raise ValueError('the reward broke on purpose')\n"
              "    return 1.0\n")
    make_model("broken", reward=broken)
    page = open_page(qtbot)
    page.start()
    qtbot.waitUntil(lambda: page.chip.text() == "Failed", timeout=40_000)
    assert page.banner.isVisible()
    text = page.banner.text()
    assert "Training failed" in text and "the reward broke on purpose" in text
    assert "environment step" in text and "params:" in text
    qtbot.waitUntil(page.start_button.isEnabled, timeout=5_000)


def test_a_crashed_training_process_shows_as_failed(qtbot):
    model = make_model("crasher")
    page = open_page(qtbot)
    page.start()
    qtbot.waitUntil(lambda: model.status().status == "training", timeout=30_000)
    os.kill(model.status().pid, signal.SIGKILL)  # no chance to write its status
    qtbot.waitUntil(lambda: page.chip.text() == "Failed", timeout=15_000)
    assert "ended unexpectedly" in page.banner.text()
    assert model.status().status == "failed"


def test_force_stop_ends_the_process_and_leaves_a_usable_model(qtbot):
    model = make_model("stubborn")
    page = open_page(qtbot)
    page.start()
    qtbot.waitUntil(lambda: model.status().status == "training", timeout=30_000)
    status = tp.kill_training(model, grace_s=10.0)  # SIGTERM first: the trainer saves and ends ready
    assert not tp.is_running(model)
    assert status.status == "ready" and "interrupted" in status.reason
    qtbot.waitUntil(lambda: page.chip.text() == "Ready" and page.start_button.isEnabled(), timeout=5_000)


def test_a_training_that_cannot_start_says_why(qtbot):
    make_model("gone")
    page = open_page(qtbot)
    # The track disappears between creating the model and training it: the trainer refuses.
    cfg = page.model.config_path
    cfg.write_text(cfg.read_text().replace('"practice_oval"', '"no_such_track"'))
    page.start()
    qtbot.waitUntil(lambda: page.banner.isVisible(), timeout=30_000)
    assert "no_such_track" in page.banner.text()
    qtbot.waitUntil(page.start_button.isEnabled, timeout=5_000)


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
