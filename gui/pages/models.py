"""Models: every model with its status, and what can be done with it.

The list refreshes when ``ctx.models_changed`` fires and every few seconds (a training
process changes its model's status on disk). Whatever the model store refuses shows as a
message box in plain words, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFrame, QHBoxLayout, QHeaderView, QMenu,
                               QStackedWidget, QTableView, QVBoxLayout, QWidget)

from gui.rich_text import esc
from gui.widgets.dialogs import ask_text, confirm, show_error, show_info
from gui.widgets.model_details import ModelDetails
from gui.widgets.model_table import ModelTableModel
from gui.widgets.style import PAGE_STYLE, button, label
from trainer.model_store import READ_ONLY_MESSAGE

REFRESH_MS = 3000


class ModelsPage(QWidget):
    """The model table, its actions (buttons and a context menu) and a details panel."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setStyleSheet(PAGE_STYLE)
        self.table_model = ModelTableModel(ctx.store, self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _: self.evaluate())
        self.details = ModelDetails()
        self.details.setMinimumWidth(330)
        self.details.setMaximumWidth(420)
        self.actions = self._actions()
        self.problem = label("", "error", wrap=True)
        self.problem.hide()
        self.empty = self._empty_state()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        # The list's own actions above it; what to do with the selected model in its panel.
        self.buttons = {}
        for key in self.actions:
            act = self.actions[key]
            role = {"create": "primary", "train": "primary", "delete": "danger"}.get(key)
            self.buttons[key] = b = button(act.text(), role)
            b.clicked.connect(act.trigger)
        toolbar = QHBoxLayout()
        toolbar.setSpacing(8)
        for key in ("create", "import", "import_folder", None, "clone", "rename", "delete"):
            if key is None:
                toolbar.addSpacing(14)
            else:
                toolbar.addWidget(self.buttons[key])
        toolbar.addStretch(1)
        selected = QHBoxLayout()
        selected.setSpacing(8)
        for key in ("train", "evaluate", "export"):
            selected.addWidget(self.buttons[key])
        selected.addStretch(1)
        self.details.actions_row.addLayout(selected)
        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(toolbar)
        left.addWidget(self.problem)
        left.addWidget(self.stack, 1)
        body = QHBoxLayout()
        body.setSpacing(18)
        body.addLayout(left, 1)
        body.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(12)
        layout.addWidget(label("Models", "title"))
        layout.addWidget(label("Your models and the standard one that ships with Trackside. Select a model to "
                               "train, evaluate, clone or export it; right-click for the same actions.",
                               "subtitle", wrap=True))
        layout.addLayout(body, 1)

        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        ctx.models_changed.connect(self.refresh)
        ctx.model_selected.connect(self._on_model_selected)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def _empty_state(self) -> QWidget:
        box = QFrame(objectName="card")
        layout = QVBoxLayout(box)
        layout.addStretch(1)
        for widget in (label("No models yet", "heading"),
                       label("Create your first model: the form is filled in with settings that train on the "
                             "Workshop Loop, so two clicks start a training.", "hint", wrap=True)):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(widget)
        go = button("Create a model", "primary")
        go.clicked.connect(lambda: self.ctx.open_page.emit("Create model"))
        layout.addWidget(go, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return box

    def _actions(self) -> dict[str, QAction]:
        specs = {
            "create": ("Create…", lambda: self.ctx.open_page.emit("Create model")),
            "clone": ("Clone…", self.clone),
            "rename": ("Rename…", self.rename),
            "delete": ("Delete", self.delete),
            "train": ("Train", self.train),
            "evaluate": ("Evaluate", self.evaluate),
            "export": ("Export…", self.export),
            "import": ("Import…", self.import_archive),
            "import_folder": ("Import folder…", self.import_folder),
        }
        out = {}
        for key, (text, slot) in specs.items():
            act = QAction(text, self)
            act.triggered.connect(slot)
            out[key] = act
        for key, keys in (("delete", QKeySequence.StandardKey.Delete), ("rename", "F2")):
            out[key].setShortcut(QKeySequence(keys))
            out[key].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(out[key])  # Delete and F2 work on the focused table
        return out

    # -- state ----------------------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        selected = self.selected_name()
        self.table_model.refresh()
        self.problem.setText(self.table_model.problem or "")
        self.problem.setVisible(bool(self.table_model.problem))
        self.stack.setCurrentWidget(self.empty if self.table_model.rowCount() == 0 else self.table)
        if selected and self.selected_name() != selected:
            self.select(selected, emit=False)
        self._update_actions()
        if self.selected_name():
            self._show_details()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        info = self.table_model.info(rows[0].row()) if rows else None
        return info.name if info else None

    def select(self, name: str, emit: bool = True) -> None:
        """Select the row of model ``name`` (if listed)."""
        row = self.table_model.row_of(name)
        if row < 0 or name == self.selected_name():
            return
        self._quiet = not emit
        try:
            self.table.selectionModel().select(
                self.table_model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(self.table_model.index(row, 0))
        finally:
            self._quiet = False

    _quiet = False

    def _on_model_selected(self, name: str) -> None:
        self.select(name, emit=False)  # another page chose it: follow, without announcing it again

    def _selection_changed(self) -> None:
        self._update_actions()
        self._show_details()
        name = self.selected_name()
        if name and not self._quiet:
            self.ctx.model_selected.emit(name)

    def _show_details(self) -> None:
        name = self.selected_name()
        try:
            self.details.show_model(self.ctx.store.get(name) if name else None)
        except Exception as exc:  # a folder changing underneath: show the problem, keep working
            self.details.show_model(None)
            self.details.facts.setText(esc(exc))

    def _update_actions(self) -> None:
        row = self.table.selectionModel().selectedRows()
        info = self.table_model.info(row[0].row()) if row else None
        why = {}
        for key in ("clone", "rename", "delete", "train", "evaluate", "export"):
            if info is None:
                why[key] = "Select a model first"
            elif info.problem and key not in ("delete", "rename"):
                why[key] = info.problem
            elif info.read_only and key in ("rename", "delete", "train"):
                why[key] = READ_ONLY_MESSAGE[:1].upper() + READ_ONLY_MESSAGE[1:]
        tips = {"train": "Start training (or watch the training that runs)", "evaluate": "Drive timed laps",
                "clone": "A new model that starts from this one's weights (same action space and sensor)",
                "export": "Save as a model.tar.gz",
                "import": "Add a model from a model.tar.gz (Trackside's or DeepRacer's)",
                "import_folder": "Add a model from a DeepRacer-for-Cloud model folder (as its upload script writes it)",
                "create": "Open the create-model form", "rename": "Give the model a new name",
                "delete": "Delete the model and all its checkpoints"}
        for key, act in self.actions.items():
            act.setEnabled(key not in why)
            tip = why.get(key, tips.get(key, ""))
            act.setToolTip(tip)
            self.buttons[key].setEnabled(key not in why)
            self.buttons[key].setToolTip(tip)

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.select(self.table_model.info(index.row()).name)
        menu = QMenu(self)
        for key in ("train", "evaluate", None, "clone", "rename", "export", None, "delete", None, "create", "import", "import_folder"):
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[key])
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # -- actions --------------------------------------------------------------------------------
    def _run(self, title: str, fn) -> object | None:
        """Call ``fn``; a refusal from the store shows as a message and returns None."""
        try:
            return fn()
        except Exception as exc:  # the store's and the archive's errors say what is wrong in plain words
            show_error(self, title, str(exc) or type(exc).__name__)
            return None

    def _changed(self, select: str | None, message: str) -> None:
        self.ctx.models_changed.emit()
        if select:
            self.select(select)
        self.ctx.status_message.emit(message)

    def clone(self) -> None:
        src = self.selected_name()
        if not src:
            return
        from gui.pages.create_model_io import default_name

        new = ask_text(self, "Clone model", f"Name of the new model (it starts from {src}'s weights and keeps its "
                       "action space and sensor):", default_name(self.ctx.store, f"{src}-clone"))
        if new and self._run("Cannot clone", lambda: self.ctx.store.clone(src, new)):
            self._changed(new, f"Cloned {src} into {new}")

    def rename(self) -> None:
        old = self.selected_name()
        if not old:
            return
        new = ask_text(self, "Rename model", "New name:", old)
        if new and new != old and self._run("Cannot rename", lambda: self.ctx.store.rename(old, new)):
            self._changed(new, f"Renamed {old} to {new}")

    def delete(self) -> None:
        name = self.selected_name()
        if not name or not confirm(self, "Delete model", f"Delete the model “{name}” with all its checkpoints, "
                                   "metrics and evaluations?\n\nThis cannot be undone."):
            return
        self._run("Cannot delete", lambda: self.ctx.store.delete(name))
        if not self.ctx.store.exists(name):
            self._changed(None, f"Deleted {name}")

    def train(self) -> None:
        name = self.selected_name()
        if name:
            self.ctx.train_requested.emit(name)
            self.ctx.open_page.emit("Training")

    def evaluate(self) -> None:
        name = self.selected_name()
        if name and self.actions["evaluate"].isEnabled():
            self.ctx.evaluate_requested.emit(name)
            self.ctx.open_page.emit("Evaluation")

    def export(self) -> None:
        name = self.selected_name()
        if not name:
            return
        folder = self.ctx.setting("models/export_dir", str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(self, f"Export {name}", str(Path(folder) / f"{name}.tar.gz"),
                                              "Model archive (*.tar.gz)")
        if not path:
            return
        if not path.endswith((".tar.gz", ".tgz")):
            path += ".tar.gz"
        from trainer.archive import export_model

        written = self._run("Cannot export", lambda: export_model(self.ctx.store.get(name), path))
        if written:
            self.ctx.set_setting("models/export_dir", str(Path(path).parent))
            self.ctx.status_message.emit(f"Exported {name} to {written}")

    def import_archive(self) -> None:
        folder = self.ctx.setting("models/export_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", str(folder),
                                              "Model archives (*.tar.gz *.tgz);;All files (*)")
        if path:
            self._import(Path(path))

    def import_folder(self) -> None:
        folder = self.ctx.setting("models/export_dir", str(Path.home()))
        path = QFileDialog.getExistingDirectory(self, "Import a DeepRacer model folder", str(folder))
        if path:
            self._import(Path(path))

    def _import(self, path: Path) -> None:
        """Ask for a name, import ``path`` (an archive or a folder) and show the import's report: what
        was kept and skipped, the track and what to do next, as ``trackside model import`` prints it."""
        import re

        from gui.pages.create_model_io import default_name

        stem = re.sub(r"\.(tar\.gz|tgz|tar)$", "", path.name)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or "imported"
        name = ask_text(self, "Import model", "Name for the imported model:", default_name(self.ctx.store, stem))
        if not name:
            return
        from trainer.archive import import_with_report

        report = self._run("Cannot import", lambda: import_with_report(path, name, store=self.ctx.store))
        if report:
            self._changed(report.model.name, f"Imported {report.model.name} from {path.name}")
            show_info(self, f"Imported {report.model.name}", "\n".join(report.lines()))
