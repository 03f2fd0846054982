"""The reward-function section: a template picker, a code editor and a Validate button.

Validation runs :func:`sim.reward_check.validate_reward_source` (which starts a worker process)
on a thread-pool thread; the result lands on the GUI thread as sample rewards in a small
table, or as the error with its line shaded in the editor. Editing re-validates after a
pause, so a broken function is marked before anyone presses Create.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from sim.reward import EXAMPLES
from sim.reward_check import ValidationReport, validate_reward_source

from .background import run_in_background
from .code_editor import CodeEditor
from .fields import mark_invalid
from .inputs import ComboBox
from .style import button, label

SAMPLE_COLUMNS = (("x", "x", 2), ("y", "y", 2), ("heading", "heading", 0), ("progress", "progress %", 1),
                  ("speed", "speed", 1), ("steering_angle", "steer", 0), ("distance_from_center", "from centre", 2),
                  ("all_wheels_on_track", "on road", None))
AUTO_VALIDATE_MS = 1200


class RewardEditor(QWidget):
    """``track_provider()`` gives the :class:`sim.track.Track` the sample params are taken on.

    :attr:`state` is "unchecked", "checking", "ok" or "failed"; :attr:`validated` is emitted
    with each :class:`ValidationReport` that still matches the editor's text.
    """

    validated = Signal(object)

    def __init__(self, track_provider: Callable[[], object], parent: QWidget | None = None):
        super().__init__(parent)
        self.track_provider = track_provider
        self.state = "unchecked"
        self.report: ValidationReport | None = None
        self._running: str | None = None  # the source being checked now
        self._checked: str | None = None  # the source self.report is about
        self.templates = ComboBox()
        for title, path in EXAMPLES.items():
            self.templates.addItem(title, str(path))
        self.editor = CodeEditor()
        self.editor.setMinimumHeight(340)
        self.validate_button = button("Validate", tooltip="Run the function as DeepRacer would on the chosen track: "
                                                          "a 3-second drive from step 1, then about 90 edge "
                                                          "cases, each a new episode")
        self.status = label("", "hint", wrap=True)
        self.samples = QTableWidget(0, len(SAMPLE_COLUMNS) + 1)
        self.samples.setHorizontalHeaderLabels([title for _, title, _ in SAMPLE_COLUMNS] + ["reward"])
        self.samples.verticalHeader().hide()
        self.samples.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.samples.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.samples.setMinimumHeight(170)
        self.samples.setMaximumHeight(220)
        self.samples.verticalHeader().setDefaultSectionSize(22)
        self.samples.hide()
        head = QHBoxLayout()
        head.addWidget(label("Start from", "fieldLabel"))
        head.addWidget(self.templates, 1)
        head.addSpacing(12)
        head.addWidget(self.validate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.editor)
        layout.addWidget(self.status)
        layout.addWidget(self.samples)
        self._timer = QTimer(self, singleShot=True, interval=AUTO_VALIDATE_MS)
        self._timer.timeout.connect(self._auto_validate)
        self.templates.currentIndexChanged.connect(self._load_template)
        self.editor.textChanged.connect(self._edited)
        self.validate_button.clicked.connect(self.validate)
        self._load_template()

    # -- text ---------------------------------------------------------------------------------
    def source(self) -> str:
        return self.editor.toPlainText()

    def is_valid(self) -> bool:
        """The current text passed validation."""
        return self.state == "ok" and self._checked == self.source()

    def set_source(self, text: str) -> None:
        # Through the cursor rather than setPlainText, so Ctrl+Z brings the old text back.
        cursor = self.editor.textCursor()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        self.editor.moveCursor(self.editor.textCursor().MoveOperation.Start)

    def _load_template(self) -> None:
        from pathlib import Path

        self.set_source(Path(self.templates.currentData()).read_text(encoding="utf-8"))

    def _edited(self) -> None:
        if self.report is not None and self.report.ok and self.state == "ok" and self._checked == self.source():
            return
        self.state = "unchecked"
        if self.editor.error_line is not None:
            self.editor.mark_error_line(None)
        mark_invalid(self.editor, False)
        self.status.setText("Not validated yet: it is checked when you pause typing, or press Validate.")
        self._set_status_role("hint")
        self._timer.start()

    # -- validation -----------------------------------------------------------------------------
    def _auto_validate(self) -> None:
        # Only while someone looks: a hidden form does not start worker processes.
        if self.isVisible():
            self.validate()

    def validate(self) -> None:
        """Check the current text off the GUI thread; :attr:`validated` follows."""
        self._timer.stop()
        source = self.source()
        if self._running is not None:  # one check at a time; _finished checks newer text after it
            return
        try:
            track = self.track_provider()
        except Exception as exc:  # no track chosen or it cannot load: say so, do not crash
            self._running = source
            self._finished(ValidationReport(ok=False, error=f"cannot validate: {exc}"))
            return
        self._running = source
        self.state = "checking"
        self.status.setText("Checking the reward function on sample situations…")
        self._set_status_role("hint")
        run_in_background(lambda: validate_reward_source(source, track), self._finished, self._crashed, owner=self)

    def _crashed(self, exc: Exception) -> None:
        # Not the user's fault (e.g. no worker process could start), but the form waits for an answer.
        self._finished(ValidationReport(ok=False, error=f"validation could not run: {exc}"))

    def _finished(self, report: ValidationReport) -> None:
        source, self._running = self._running, None
        if source != self.source():  # edited meanwhile: check the new text
            self.validate()
            return
        self.report, self._checked = report, source
        self.state = "ok" if report.ok else "failed"
        mark_invalid(self.editor, not report.ok)
        self.editor.mark_error_line(report.line if not report.ok else None)
        if report.ok:
            rewards = [r for _, r in report.samples]
            self.status.setText(f"✔ Valid: {len(rewards)} sample calls, rewards {min(rewards):.3g} to "
                                f"{max(rewards):.3g} ({report.seconds:.2f} s)." if rewards else "✔ Valid.")
            self._set_status_role("ok")
        else:
            where = f" (line {report.line})" if report.line and f"line {report.line}" not in report.error else ""
            self.status.setText(f"✘ {report.error}{where}")
            self._set_status_role("error")
        if report.output_bytes:
            self.status.setText(self.status.text() + f"\nIt printed {report.output_bytes} bytes; first line: "
                                + (report.output.splitlines() or [""])[0][:120])
        self._fill_samples(report)
        self.validated.emit(report)

    def _fill_samples(self, report: ValidationReport) -> None:
        n = len(report.samples)
        # 12 rows spread over the samples (not a fixed stride, which can line up with how they vary).
        picks = sorted({round(i * (n - 1) / 11) for i in range(12)}) if n > 12 else range(n)
        rows = [report.samples[i] for i in picks]
        self.samples.setRowCount(len(rows))
        for r, (params, reward) in enumerate(rows):
            for c, (key, _, digits) in enumerate(SAMPLE_COLUMNS):
                value = params.get(key)
                text = f"{value:.{digits}f}" if digits is not None and isinstance(value, (int, float)) else str(value)
                self.samples.setItem(r, c, self._cell(text))
            self.samples.setItem(r, len(SAMPLE_COLUMNS), self._cell(f"{reward:.4g}", bold=True))
        self.samples.setVisible(bool(rows))

    @staticmethod
    def _cell(text: str, bold: bool = False) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        return item

    def _set_status_role(self, role: str) -> None:
        self.status.setProperty("role", role)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
