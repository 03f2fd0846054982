"""The analysis page reads a real training run: curves, heat map, actions, and the final checkpoint."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import json  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gui.context import AppContext  # noqa: E402
from gui.pages.analysis import AnalysisPage  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def page(qtbot, trained_model):
    page = AnalysisPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model(trained_model)
    qtbot.waitUntil(lambda: page.data is not None and page.data.model == trained_model and not page.loading,
                    timeout=30_000)
    return page


def points(item) -> int:
    x, _ = item.getData()
    return 0 if x is None else len(x)


def test_reads_curves_heat_map_and_actions_of_a_real_run(page):
    model = page.ctx.store.get(page.data.model)
    n = len(model.read_iterations())
    assert n >= 2
    assert points(page.reward_line) == n and points(page.progress_line) == n
    assert points(page.eval_progress_line) == n and points(page.completion_line) == n
    # The heat map counts every traced step, drawn where the cars drove.
    assert page.data.rows > 100 and page.data.heat.sum() == pytest.approx(page.data.rows, rel=1e-6)
    image = page.heat_image.image
    assert image is not None and (image[..., 3] > 0).sum() > 50
    rect = page.heat_image.mapRectToParent(page.heat_image.boundingRect())
    x0, y0, x1, y1 = page.heat_view.track.bounds
    assert rect.left() < x0 and rect.right() > x1 and rect.top() < y0 and rect.bottom() > y1
    # Actions by position, and the share of each action (all actions of the space, summing to 100 %).
    assert len(page.action_dots.data) > 100
    widths = page.usage_bars.opts["width"]
    assert len(widths) == model.metadata().action_space.n and np.sum(widths) == pytest.approx(100.0)
    assert page.table.rowCount() == len(model.list_checkpoints())


def test_use_as_final_sets_the_final_checkpoint(qtbot, page):
    model = page.ctx.store.get(page.data.model)
    first = model.list_checkpoints()[0]["iteration"]
    assert not page.final_button.isEnabled()  # nothing selected yet
    row = next(r for r in range(page.table.rowCount()) if int(page.table.item(r, 0).text()) == first)
    page.table.selectRow(row)
    assert page.final_button.isEnabled()
    with qtbot.waitSignal(page.ctx.models_changed, timeout=5_000):
        qtbot.mouseClick(page.final_button, _left())
    assert json.loads(model.index_path.read_text())["final"] == first
    qtbot.waitUntil(lambda: page.data.final == first and not page.loading, timeout=10_000)
    marked = next(r for r in range(page.table.rowCount()) if int(page.table.item(r, 0).text()) == first)
    assert "final" in page.table.item(marked, 5).text()


def test_a_model_without_training_shows_empty_views(qtbot, page):
    from sim.actions import ActionSpace
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    page.ctx.store.create("fresh", meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n",
                          TrainingConfig(track="practice_oval"))
    page.ctx.models_changed.emit()
    page.select_model("fresh")
    qtbot.waitUntil(lambda: page.data.model == "fresh" and not page.loading, timeout=10_000)
    assert points(page.reward_line) == 0 and page.table.rowCount() == 0
    assert page.heat_image.image is None
    assert "No training traces" in page.map_caption.text()


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_long_training_reads_an_even_spread_of_its_trace_files(tmp_path):
    from gui.analysis_data import spread_within

    files = []
    for i in range(10):
        files.append(tmp_path / f"{i}-iteration.csv")
        files[-1].write_text("x" * 100)
    assert spread_within(files, 10_000) == files
    picked = spread_within(files, 300)  # room for 3 of the 10 files
    assert [files.index(p) for p in picked] == [0, 4, 9]
