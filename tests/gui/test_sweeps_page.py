"""The Sweeps page: a sweep defined in the form runs on a worker thread through a real local Ray
(2 CPUs), and the page shows its ranking and curves; a saved sweep opens again."""

from __future__ import annotations

import pytest

from sim.paths import assets_dir

BROKEN = ("def reward_function(params):\n"
          "    if params['steps'] > 3:\n"
          "        raise ValueError('deliberately broken')\n"
          "    return 1.0\n")


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def page(qtbot, ctx):
    from gui.pages.sweeps import SweepsPage

    p = SweepsPage(ctx)
    qtbot.addWidget(p)
    return p


@pytest.mark.slow
def test_a_sweep_runs_off_the_gui_thread_and_shows_its_ranking_and_curves(qtbot, page, trained_model, tmp_path,
                                                                          local_ray):
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN)
    page.reload()
    page.base.setCurrentText(trained_model)
    page.set_rewards([assets_dir() / "reward_functions" / "centre_line.py", broken])
    page.iterations.setValue(1)
    page.minutes.setValue(0)
    page.eval_track.setCurrentText("practice_oval_cup")
    page.eval_laps.setValue(1)
    page.run_button.click()
    assert page.worker is not None and page.worker.isRunning()  # the click returned while the sweep runs
    assert not page.run_button.isEnabled()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert "finished" in page.status.text()
    table = page.table
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in (0, 1, 2)] == ["1", f"{trained_model}-sweep-1", "centre_line.py"]
    assert table.item(0, 3).text() in ("0/1", "1/1")
    assert table.item(1, 0).text() == "-" and "deliberately broken" in table.item(1, 7).text()
    [curve] = page.curves.getPlotItem().listDataItems()  # the failed variant has no iterations to draw
    assert list(curve.getData()[0]) == [0]
    name = page.results["name"]
    page.reload()
    assert name in [page.saved.itemText(i) for i in range(page.saved.count())]
    page.table.setRowCount(0)
    page.open_sweep(name)
    assert page.table.item(0, 1).text() == f"{trained_model}-sweep-1"


def test_a_bad_setting_is_said_on_the_page_and_starts_nothing(qtbot, page, trained_model):
    page.reload()
    page.hp.setText("learning=0.1")
    page.run_button.click()
    assert page.worker is None and "no hyperparameter named 'learning'" in page.status.text()
    page.hp.setText("")
    page.speeds.setText("fast")
    page.run_button.click()
    assert page.worker is None and "speeds" in page.status.text()
