"""The evaluation page evaluates a really trained model on a worker thread, lists its laps and replays them."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import shutil  # noqa: E402

import pytest  # noqa: E402

from gui.context import AppContext  # noqa: E402
from gui.pages.evaluation import LAP_COLUMNS, EvaluationPage  # noqa: E402

pytestmark = pytest.mark.slow
LAPPER = "lapper"


@pytest.fixture(scope="module")
def lapping_model_dir(tmp_path_factory):
    """A model trained on the practice oval until a checkpoint laps it (three or four iterations)."""
    import torch

    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig
    from trainer.training import request_stop, train_model

    home = tmp_path_factory.mktemp("lapping_home")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACKSIDE_HOME", str(home))
        meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
        model = ModelStore(home / "models", standard_dir=home / "none").create(
            LAPPER, meta, Hyperparameters(), (assets_dir() / "reward_functions" / "centre_line.py").read_text(),
            TrainingConfig(track="practice_oval", n_cars=8))
        def stop_once_it_laps(row):
            if row["eval"]["laps_completed"] > 0:
                request_stop(model)

        result = train_model(model, max_iterations=10, install_signals=False, on_iteration=stop_once_it_laps)
    torch.set_num_threads(threads)
    assert result.status == "ready"
    assert result.best["eval"]["laps_completed"] > 0, result.best
    return model.path


@pytest.fixture
def page(qtbot, lapping_model_dir, trackside_home):
    shutil.copytree(lapping_model_dir, trackside_home / "models" / LAPPER)
    page = EvaluationPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model(LAPPER)
    return page


def test_evaluates_lists_laps_and_replays(qtbot, page):
    assert page.checkpoint_box.currentData() == "best"
    assert page.track_box.currentData() == "practice_oval"
    page.laps.setValue(2)
    page.mode_box.setCurrentIndex(page.mode_box.findData("trials"))
    page.penalty.setValue(2.0)
    page.run()
    assert page.worker is not None and not page.run_button.isEnabled()  # runs off the GUI thread
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is not None, page.message.text()
    assert page.table.rowCount() == 2
    completed = [page.table.item(r, 2).text() for r in range(2)]
    assert "yes" in completed
    time_text = page.table.item(completed.index("yes"), 1).text()
    assert float(time_text) > 5.0
    assert "laps completed" in page.summary.text()
    # Like `trackside evaluate`, the run leaves a SIM_TRACE file in the model folder.
    traces = list(page.ctx.store.get(LAPPER).path.glob("evaluation-*/evaluation-simtrace/0-iteration.csv"))
    assert len(traces) == 1 and traces[0].read_text().startswith("episode,steps,X,Y")
    # The replay starts at once and its position advances from the timer.
    assert page.playing
    qtbot.waitUntil(lambda: page.frame > 10, timeout=5_000)
    assert page.slider.value() > 0
    x, _ = page.track_view._path.getData()
    assert len(x) == len(page.result.drive) > 100
    # Pause holds the position; 8x plays faster than 1x.
    page.pause()
    held = page.frame
    qtbot.wait(200)
    assert page.frame == held
    page.speed_box.setCurrentIndex(page.speed_box.findData(8))
    page.play()
    qtbot.wait(300)
    assert page.frame - held > 8 * 15 * 0.3 * 0.5
    # The slider seeks; choosing a lap in the table jumps to its start.
    page.pause()
    page.slider.setValue(5)
    assert int(page.frame) == 5
    page.table.selectRow(1)
    lap2 = page.result.drive.lap
    assert lap2[int(page.frame)] == 2


def test_competition_tracks_and_rules_are_offered(qtbot, page):
    from sim.library import list_tracks

    cup = next(t.name for t in list_tracks() if not t.trainable)
    names = [page.track_box.itemData(i) for i in range(page.track_box.count())]
    assert names == [t.name for t in list_tracks()]
    assert "(competition)" in page.track_box.itemText(names.index(cup))
    page.no_resets.setChecked(True)
    assert not page.penalty.isEnabled() and page.rules().penalty_s is None
    page.laps.setValue(1)
    page.mode_box.setCurrentIndex(page.mode_box.findData("continuous"))
    page.track_box.setCurrentIndex(names.index(cup))
    page.run()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is not None and page.result.track == cup
    assert page.result.rules.mode == "continuous" and page.table.rowCount() == 1


def test_a_model_without_checkpoints_cannot_be_evaluated(qtbot, page):
    from sim.actions import ActionSpace
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    page.ctx.store.create("fresh", meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n",
                          TrainingConfig(track="practice_oval"))
    page.ctx.models_changed.emit()
    page.select_model("fresh")
    assert page.checkpoint_box.count() == 0 and not page.run_button.isEnabled()
    assert "train it first" in page.message.text()


def test_a_draft_chosen_after_an_evaluation_shows_nothing_of_the_last_model(qtbot, ctx, trained_model):
    """Choosing an untrained draft clears the laps, summary and replay of the model evaluated before."""
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import TrainingConfig

    ctx.store.create("draft", ModelMetadata(action_space=ActionSpace.from_console(2.0, 2, 30.0, 3), sensor=["LIDAR"]),
                     Hyperparameters(), (assets_dir() / "reward_functions" / "centre_line.py").read_text(),
                     TrainingConfig(track="workshop_loop"))
    page = EvaluationPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model(trained_model)
    page.laps.setValue(1)
    page.no_resets.setChecked(True)  # the tiny model soon leaves the road: a short drive
    page.run()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is not None and page.table.rowCount() == 1 and page.summary.text()
    assert len(page.track_view._path.getData()[0]) > 0
    page.select_model("draft")
    assert page.result is None and not page.playing
    assert page.table.rowCount() == 0 and page.summary.text() == "" and page.position.text() == ""
    assert len(page.track_view._path.getData()[0]) == 0 and len(page.track_view._car_fill.getData()[0]) == 0
    assert not page.slider.isEnabled() and not page.play_button.isEnabled()
    assert "draft" in page.message.text() and "no checkpoint yet" in page.message.text()
    assert not page.run_button.isEnabled() and page.track_box.currentData() == "workshop_loop"
    # Back on the evaluated model, its checkpoints are offered again for a new run.
    page.select_model(trained_model)
    assert page.run_button.isEnabled() and page.message.text() == ""


def test_a_run_that_ends_after_another_model_was_chosen_is_not_shown_as_that_models(qtbot, ctx, trained_model):
    ctx.store.clone(trained_model, "other")
    page = EvaluationPage(ctx)
    qtbot.addWidget(page)
    page.select_model(trained_model)
    page.laps.setValue(1)
    page.no_resets.setChecked(True)
    page.run()
    page.select_model("other")  # before the worker's answer arrives (it comes through the event loop)
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is None and page.table.rowCount() == 0 and page.summary.text() == ""
    assert f"evaluation of {trained_model} ended" in page.message.text()
    assert page.run_button.isEnabled()  # the clone has its starting weights to evaluate


@pytest.fixture
def standard_page(qtbot, trackside_home):
    """The page with the shipped standard model (no training needed)."""
    page = EvaluationPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model("standard")
    page.track_box.setCurrentIndex(page.track_box.findData("workshop_loop"))
    return page


def test_object_avoidance_shows_collisions_and_draws_the_boxes(qtbot, standard_page):
    page = standard_page
    collisions = LAP_COLUMNS.index("Collisions")
    assert not page.collision_field.isVisibleTo(page) and not page.opponent_field.isVisibleTo(page)
    page.race_type.set_race_type("object_avoidance")
    page.race_type.obstacles.setValue(4)
    page.collision_penalty.setValue(1.0)
    assert page.collision_field.isVisibleTo(page) and not page.opponent_field.isVisibleTo(page)
    rules = page.rules()
    assert rules.objects.n_obstacles == 4 and rules.collision_penalty_s == 1.0
    page.laps.setValue(1)
    page.run()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is not None, page.message.text()
    assert not page.table.isColumnHidden(collisions)
    assert page.table.item(0, collisions).text() == str(page.result.laps[0].collisions)
    assert page.result.drive.objects.shape == (len(page.result.drive), 4, 6)
    page.pause()
    page.slider.setValue(3)
    assert page.track_view._boxes.path().elementCount() == 4 * 5  # four boxes of five path points
    assert page.track_view._bots.path().elementCount() == 0


def test_head_to_model_races_an_opponent_and_draws_its_car(qtbot, standard_page):
    page = standard_page
    page.race_type.set_race_type("head_to_model")
    assert page.opponent_field.isVisibleTo(page) and page.collision_field.isVisibleTo(page)
    assert not page.race_type.oa_box.isVisibleTo(page) and not page.mode_box.isEnabled()
    assert page.mode_box.currentData() == "continuous" and page.rules().objects is None
    page.opponent_box.setCurrentText("standard")
    page.laps.setValue(1)
    page.run()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    run = page.result
    assert run is not None, page.message.text()
    assert run.opponent == "standard" and len(run.opponent_laps) == 1 and run.winner in ("a", "b")
    assert page.table.rowCount() == 2 and page.table.item(1, 0).text() == "1 · B (standard)"
    assert f"winner: {run.winner.upper()} (standard)" in page.summary.text()
    assert "against standard" in page.message.text()
    page.pause()
    page.slider.setValue(3)
    assert page.track_view._bots.path().elementCount() == 5  # the opponent's car
    page.table.selectRow(1)
    assert page.result.drive.lap[int(page.frame)] == 1
