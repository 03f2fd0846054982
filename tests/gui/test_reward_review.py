"""The app shows an imported model's reward function, read-only, before anything runs it:
Cancel starts nothing (the hostile code's marker never appears), Accept starts the training."""

import io
import json
import os
import tarfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.context import AppContext  # noqa: E402
from gui.pages.training import TrainingPage  # noqa: E402
from gui.widgets.reward_review import RewardReviewDialog  # noqa: E402
from trainer import reward_trust  # noqa: E402
from trainer import training_process as tp  # noqa: E402
from trainer.archive import import_model  # noqa: E402
from trainer.metadata import ModelMetadata  # noqa: E402

HOSTILE = '''import os, pathlib
pathlib.Path(os.environ["MARKER_DIR"], "ran").touch()

def reward_function(params):
    return 1.0
'''


def _archive(path):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("model_metadata.json", ModelMetadata().to_json().encode()),
                           ("reward_function.py", HOSTILE.encode()),
                           ("training_config.json", json.dumps({"track": "workshop_loop", "n_cars": 2}).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _answer(press: str, seen: list):
    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RewardReviewDialog):
            QTimer.singleShot(20, act)
            return
        seen.append((dialog.editor.isReadOnly(), dialog.editor.toPlainText()))
        if press == "accept":
            dialog.accept_button.click()
        else:
            dialog.reject()
    QTimer.singleShot(0, act)


def test_training_an_imported_model_asks_for_review_first(qtbot, tmp_path, monkeypatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MARKER_DIR", str(markers))
    model = import_model(_archive(tmp_path / "gift.tar.gz"), "gift")
    page = TrainingPage(AppContext())
    qtbot.addWidget(page)
    page.select_model("gift")
    seen = []
    try:
        _answer("cancel", seen)
        page.start()
        assert seen == [(True, HOSTILE)]
        assert not tp.is_running(model) and not reward_trust.is_trusted(model.path)
        assert not any(markers.iterdir())

        _answer("accept", seen)
        page.start()
        assert len(seen) == 2 and reward_trust.is_trusted(model.path)
        qtbot.waitUntil(lambda: (markers / "ran").exists(), timeout=120_000)
    finally:
        for key, proc in list(tp._children.items()):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            tp._children.pop(key, None)
