"""The Models page over a real model store: statuses, selection, and every action through the page."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from gui.pages.models import ModelsPage
from sim.actions import ActionSpace
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig

REWARD = "def reward_function(params):\n    return 1.0\n"


def make_draft(store, name, **cfg):
    meta = ModelMetadata(action_space=ActionSpace.from_console(2.0, 2, 20.0, 3), sensor=["SECTOR_LIDAR"])
    return store.create(name, meta, Hyperparameters(), REWARD, TrainingConfig(track="workshop_loop", **cfg))


@pytest.fixture
def page(qtbot, ctx):
    p = ModelsPage(ctx)
    qtbot.addWidget(p)
    return p


def cell(page, name, column):
    row = page.table_model.row_of(name)
    return page.table_model.data(page.table_model.index(row, column))


def answer(monkeypatch, text=None, ok=True, question=QMessageBox.StandardButton.Yes):
    """Patch the dialogs: the text input returns ``text``; yes/no questions return ``question``."""
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (asked.append(a) or (text or ""), ok)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: (asked.append(a), question)[1]))
    errors = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: errors.append(text)))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda parent, title, text, *a: asked.append(text)))
    return asked, errors


def test_lists_real_models_with_their_statuses(qtbot, ctx, trained_model):
    store = ctx.store
    make_draft(store, "draft-one")
    broken = make_draft(store, "broken")
    broken.set_status("training", pid=os.getpid())
    broken.fail("reward_function returned nan")
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    assert [r.name for r in page.table_model.rows] == ["broken", "draft-one", "tiny"]
    assert cell(page, "tiny", 1) == "● ready"
    assert cell(page, "draft-one", 1) == "● draft"
    assert cell(page, "broken", 1) == "● failed"
    assert cell(page, "tiny", 2) == "practice_oval" and cell(page, "tiny", 3) == "LIDAR"
    assert cell(page, "tiny", 4) == "15" and cell(page, "draft-one", 4) == "6"
    # Failed is red, ready green: the colour tells the status at a glance.
    red = page.table_model.data(page.table_model.index(0, 1), Qt.ItemDataRole.ForegroundRole)
    assert red.name() == "#c62828"
    # The reason of a failure shows beside the list.
    with qtbot.waitSignal(ctx.model_selected) as sel:
        page.select("broken")
    assert sel.args == ["broken"]
    assert "returned nan" in page.details.status.text()


def test_refresh_follows_status_changes_without_resetting_the_table(qtbot, page, ctx):
    model = make_draft(ctx.store, "m1")
    ctx.models_changed.emit()
    assert page.table_model.rowCount() == 1
    page.select("m1")
    resets = []
    page.table_model.modelReset.connect(lambda: resets.append(1))
    model.set_status("training", pid=os.getpid())
    page.timer.timeout.emit()  # what the slow timer does
    assert cell(page, "m1", 1) == "● training"
    assert resets == [] and page.selected_name() == "m1"


def test_empty_store_shows_the_way_to_create(qtbot, page, ctx):
    assert page.stack.currentWidget() is page.empty
    with qtbot.waitSignal(ctx.open_page) as opened:
        page.buttons["create"].click()
    assert opened.args == ["Create model"]


def test_delete_asks_first(qtbot, page, ctx, monkeypatch):
    make_draft(ctx.store, "keep-me")
    ctx.models_changed.emit()
    page.select("keep-me")
    asked, _ = answer(monkeypatch, question=QMessageBox.StandardButton.No)
    page.buttons["delete"].click()
    assert asked and ctx.store.exists("keep-me")
    answer(monkeypatch, question=QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(ctx.models_changed):
        page.buttons["delete"].click()
    assert not ctx.store.exists("keep-me")
    assert page.table_model.rowCount() == 0


def test_rename_and_clone_through_the_page(qtbot, page, ctx, trained_model, monkeypatch):
    ctx.models_changed.emit()
    page.select("tiny")
    answer(monkeypatch, "fast-one")
    page.buttons["rename"].click()
    assert ctx.store.exists("fast-one") and not ctx.store.exists("tiny")
    assert page.selected_name() == "fast-one"
    answer(monkeypatch, "fast-two")
    page.buttons["clone"].click()
    clone = ctx.store.get("fast-two")
    assert clone.metadata().action_space == ctx.store.get("fast-one").metadata().action_space
    assert clone.status().status == "draft" and clone.initial_path.exists()
    assert clone.training_config().cloned_from["model"] == "fast-one"
    # A refused name is a message, not a traceback.
    _, errors = answer(monkeypatch, "bad name!")
    page.buttons["rename"].click()
    assert errors and "must be 1-64 letters" in errors[0]
    _, errors = answer(monkeypatch, "fast-one")
    page.select("fast-two")
    page.buttons["clone"].click()
    assert errors and "already exists" in errors[0]


def test_export_import_round_trip(qtbot, page, ctx, trained_model, monkeypatch, tmp_path):
    ctx.models_changed.emit()
    page.select("tiny")
    target = tmp_path / "out" / "tiny"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    page.buttons["export"].click()
    archive = tmp_path / "out" / "tiny.tar.gz"
    assert archive.is_file()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(archive), "")))
    asked, errors = answer(monkeypatch, "tiny-again")
    with qtbot.waitSignal(ctx.models_changed):
        page.buttons["import"].click()
    assert not errors
    assert asked[0][-1] == "tiny-2"  # the name offered is a free one
    assert asked[1].startswith(f"imported tiny-again from {archive} (a Trackside export) with its weights")
    imported = ctx.store.get("tiny-again")
    assert imported.metadata().to_dict() == ctx.store.get("tiny").metadata().to_dict()
    assert page.selected_name() == "tiny-again"
    # A broken archive is refused with the archive's own reason.
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    _, errors = answer(monkeypatch, "bad-one")
    page.buttons["import"].click()
    assert errors and "bad.tar.gz" in errors[0] and not ctx.store.exists("bad-one")


def test_a_deepracer_for_cloud_folder_imports_with_the_same_report_as_the_cli(qtbot, page, ctx, monkeypatch,
                                                                            tmp_path):
    from click.testing import CliRunner

    from gui.cli import main
    from tests.trainer.test_dfc_import import dfc_folder

    folder = dfc_folder(tmp_path / "rl-deepracer-sagemaker")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    asked, errors = answer(monkeypatch, "from-dfc")
    with qtbot.waitSignal(ctx.models_changed):
        page.buttons["import_folder"].click()
    assert not errors and page.selected_name() == "from-dfc"
    shown = asked[-1].splitlines()
    assert shown[0].startswith("imported from-dfc from ") and "as a draft: it starts untrained" in shown[0]
    assert any("TensorFlow weights (model/model_*.pb, checkpoint files)" in line for line in shown)
    assert any(line.startswith("track: workshop_loop, Trackside's default: training_params.yaml (WORLD_NAME) "
                               "names reInvent2019_track") for line in shown)
    # The command line prints the same report, line for line (bar the model's name).
    out = CliRunner().invoke(main, ["model", "import", str(folder), "--name", "from-cli"])
    assert out.output.replace("from-cli", "from-dfc").splitlines() == shown


def test_train_and_evaluate_ask_the_other_pages(qtbot, page, ctx, trained_model):
    ctx.models_changed.emit()
    page.select("tiny")
    seen = []
    for signal in (ctx.train_requested, ctx.evaluate_requested, ctx.open_page):
        signal.connect(lambda value, s=signal: seen.append(value))
    page.buttons["train"].click()
    assert seen == ["tiny", "Training"]
    page.buttons["evaluate"].click()
    assert seen[2:] == ["tiny", "Evaluation"]


def test_the_standard_model_is_listed_first_and_read_only(qtbot, ctx, standard_dir):
    ctx.store = ModelStore(standard_dir=standard_dir)
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    assert page.table_model.rows[0].name == "standard"
    page.select("standard")
    for key in ("rename", "delete", "train"):
        assert not page.buttons[key].isEnabled()
        assert "read-only" in page.buttons[key].toolTip()
    for key in ("clone", "evaluate", "export"):
        assert page.buttons[key].isEnabled()


def test_cloning_a_model_whose_reward_is_broken_is_refused_alike_by_the_cli_and_the_app(
        qtbot, page, ctx, trained_model, monkeypatch):
    """The store owns the rule, so both front-ends give the same one-line refusal and create nothing."""
    from click.testing import CliRunner

    from gui.cli import main

    (ctx.store.get(trained_model).path / "reward_function.py").write_text(
        "def reward_function(params)\n    return 1.0\n")  # edited by hand, a colon lost
    cli = CliRunner().invoke(main, ["model", "clone", trained_model, "from-cli"])
    assert cli.exit_code == 1 and "Traceback" not in cli.output
    cli_message = cli.output.strip().removeprefix("error: ")
    assert "line 1" in cli_message
    ctx.models_changed.emit()
    page.select(trained_model)
    _, errors = answer(monkeypatch, "from-app")
    page.buttons["clone"].click()
    assert errors == [cli_message]
    assert not ctx.store.exists("from-cli") and not ctx.store.exists("from-app")
