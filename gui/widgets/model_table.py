"""The model list as a Qt table model over :meth:`trainer.model_store.ModelStore.list`.

:meth:`ModelTableModel.refresh` compares the new list with the shown one and only
announces the rows that changed (``dataChanged``), so a timer can poll training models'
statuses without the table flickering or losing the selection.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont

from trainer.model_metrics import format_seconds
from trainer.model_store import ModelInfo

from .style import STATUS_COLORS

COLUMNS = ("Name", "Status", "Track", "Sensor", "Actions", "Best lap")
SENSOR_NAMES = {"LIDAR": "LIDAR", "SECTOR_LIDAR": "Sector LIDAR", "FRONT_FACING_CAMERA": "Camera",
                "STEREO_CAMERAS": "Stereo cameras"}


class ModelTableModel(QAbstractTableModel):
    """One row per model; :meth:`info` gives the :class:`ModelInfo` of a row."""

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.rows: list[ModelInfo] = []
        self.problem: str | None = None
        """Why the last refresh could not read the model folder, if it could not."""

    def refresh(self) -> None:
        try:
            rows = self.store.list()
            self.problem = None
        except OSError as exc:  # the models folder itself is unreadable: keep what is shown
            self.problem = f"Cannot read the models folder: {exc}"
            return
        if [r.name for r in rows] != [r.name for r in self.rows]:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
            return
        for i, (old, new) in enumerate(zip(self.rows, rows)):
            if old != new:
                self.rows[i] = new
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def info(self, row: int) -> ModelInfo | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.name == name), -1)

    # -- Qt -------------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        info, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(info, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return STATUS_COLORS.get(info.status)
        if role == Qt.ItemDataRole.FontRole and col in (0, 1):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if info.problem:
                return info.problem
            if info.read_only:
                return "The standard model ships with Trackside: evaluate it, or clone it to train your own."
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(info: ModelInfo, col: int) -> str:
        if col == 0:
            return f"{info.name}  (read-only)" if info.read_only else info.name
        if col == 1:
            return f"● {info.status}"
        if col == 2:
            return info.track or "–"
        if col == 3:
            return " + ".join(SENSOR_NAMES.get(s, s) for s in info.sensor.split(" + ")) if info.sensor else "–"
        if col == 4:
            return str(info.n_actions) if info.n_actions else ("continuous" if info.action_space_type else "–")
        if col == 5:
            return format_seconds(info.best_lap_s)
        return ""
