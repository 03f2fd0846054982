"""The League page's submit form: racer, model and checkpoint, evaluated on a worker thread.

A submission freezes the model, evaluates it under the race's rules (a second or two) and
records it (``league.races.submit``). That runs on the thread pool with its own database
connection, as every thread must; the form shows a busy bar meanwhile and the rest of the
app keeps working. The result (or the refusal: a closed race, a spent limit, a model with
no checkpoint) comes back on the GUI thread as :attr:`SubmitPanel.submitted` or
:attr:`SubmitPanel.refused`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QGridLayout, QProgressBar

from gui.widgets.background import run_in_background
from gui.widgets.style import button, label
from league.db import open_db
from league.races import Race, Racer, submit

CHECKPOINTS = ((None, "Default (final, else best)"), ("final", "Final"), ("best", "Best"), ("latest", "Latest"))


class SubmitPanel(QFrame):
    """Submit a model for a racer to the race given with :meth:`set_race`."""

    submitted = Signal(dict)
    """The recorded submission (``league.races.submit``'s dict)."""
    refused = Signal(str)
    """Why nothing was submitted, in plain words."""

    def __init__(self, ctx, db_file: Path, parent=None):
        super().__init__(parent)
        self.ctx, self.db_file = ctx, db_file
        self.race: Race | None = None
        self.busy = False
        """A submission is being evaluated."""
        self.setObjectName("card")
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 12, 16, 14)
        grid.setVerticalSpacing(6)
        grid.addWidget(label("Submit a model", "heading"), 0, 0, 1, 2)
        self.racer_box, self.model_box, self.checkpoint_box = QComboBox(), QComboBox(), QComboBox()
        for which, text in CHECKPOINTS:
            self.checkpoint_box.addItem(text, which)
        for r, (text, widget) in enumerate((("Racer", self.racer_box), ("Model", self.model_box),
                                            ("Checkpoint", self.checkpoint_box)), start=1):
            grid.addWidget(label(text, "fieldLabel"), r, 0)
            grid.addWidget(widget, r, 1, 1, 1)
        grid.setColumnStretch(1, 1)
        self.button = button("Submit", "primary")
        self.button.clicked.connect(self.submit)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: an evaluation reports no steps
        self.progress.setFixedHeight(8)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.state = label("", "hint", wrap=True)
        grid.addWidget(self.button, 4, 0, 1, 2)
        grid.addWidget(self.progress, 5, 0, 1, 2)
        grid.addWidget(self.state, 6, 0, 1, 2)
        self.racer_box.currentIndexChanged.connect(self.update_state)
        self.model_box.currentIndexChanged.connect(self.update_state)

    # -- choices ----------------------------------------------------------------------------------
    def set_race(self, race: Race | None) -> None:
        self.race = race
        self.update_state()

    def set_racers(self, racers: list[Racer]) -> None:
        fill(self.racer_box, [(r.alias if r.display_name == r.alias else f"{r.display_name} ({r.alias})", r.alias)
                              for r in racers], self.racer_box.currentData())
        self.update_state()

    def refresh_models(self) -> None:
        fill(self.model_box, [(n, n) for n in self.ctx.store.names()], self.model_box.currentData())
        self.update_state()

    def choose(self, racer: str | None = None, model: str | None = None, checkpoint=None) -> None:
        for box, data in ((self.racer_box, racer), (self.model_box, model), (self.checkpoint_box, checkpoint)):
            if data is not None and box.findData(data) >= 0:
                box.setCurrentIndex(box.findData(data))

    def why_not(self) -> str | None:
        """Why the form cannot submit now, or None."""
        if self.busy:
            return "A submission is being evaluated…"
        if self.race is None:
            return "Create a race first."
        why = self.race.closed_reason()
        if why:
            return why[:1].upper() + why[1:] + ": it accepts no submissions."
        if self.racer_box.count() == 0:
            return "Add a racer first."
        if self.model_box.count() == 0:
            return "Train a model first."
        return None

    def update_state(self) -> None:
        why = self.why_not()
        self.button.setEnabled(why is None)
        self.button.setToolTip(why or "Freeze the model, evaluate it under the race's rules and rank it")
        if not self.busy:
            self.state.setText(why or "Evaluation takes a second or two; the app keeps working meanwhile.")

    # -- submitting -------------------------------------------------------------------------------
    def submit(self) -> bool:
        """Start evaluating the chosen model for the chosen racer; True when it started.

        The button is disabled while the race is closed, but a refusal is checked where it
        matters, in ``league.races.submit``: whatever it refuses comes back as ``refused``.
        """
        race, racer, model = (self.race.name if self.race else None, self.racer_box.currentData(),
                              self.model_box.currentData())
        if self.busy:
            self.refused.emit("A submission is already being evaluated: wait for its result.")
            return False
        if not (race and racer and model):
            self.refused.emit("Choose a race, a racer and a model to submit.")
            return False
        try:
            frozen_from = self.ctx.store.get(model)
        except Exception as exc:  # the store says what is wrong in plain words
            self.refused.emit(str(exc))
            return False
        checkpoint, path = self.checkpoint_box.currentData(), self.db_file

        def work():  # on a worker thread, with its own connection
            db = open_db(path)
            try:
                return submit(db, race, racer, frozen_from, checkpoint)
            finally:
                db.conn.close()

        self.busy = True
        self.progress.show()
        self.update_state()
        self.state.setText(f"Evaluating {model} for {racer} in {race}…")
        run_in_background(work, self._done, self._failed, owner=self)
        return True

    def _idle(self) -> None:
        self.busy = False
        self.progress.hide()
        self.update_state()

    def _done(self, row: dict) -> None:
        self._idle()
        self.submitted.emit(row)

    def _failed(self, exc: Exception) -> None:
        self._idle()
        self.refused.emit(str(exc) or type(exc).__name__)


def submit_sample_in_background(ctx, db, db_file: Path, owner, on_done) -> bool:
    """Submit the standard model to the sample race (``league.sample``) on a worker thread,
    when it is installed and has not been submitted yet; ``on_done(rows)`` on the GUI thread."""
    from league.sample import pending_sample_submissions, submit_sample_models

    if not ctx.store.exists("standard") or not pending_sample_submissions(db):
        return False
    standard = ctx.store.get("standard")

    def work():
        conn = open_db(db_file)
        try:
            return submit_sample_models(conn, standard)
        finally:
            conn.conn.close()

    run_in_background(work, on_done, lambda exc: ctx.status_message.emit(f"Sample submission: {exc}"), owner=owner)
    return True


def fill(box: QComboBox, items: list[tuple[str, object]], keep) -> None:
    """Replace ``box``'s items, keeping the chosen data when it is still there, without signals."""
    box.blockSignals(True)
    box.clear()
    for text, data in items:
        box.addItem(text, data)
    i = box.findData(keep) if keep is not None else -1
    box.setCurrentIndex(i if i >= 0 else (0 if items else -1))
    box.blockSignals(False)
