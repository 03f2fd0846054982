"""The table of a discrete action space: index, steering angle, speed, one row per action."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from sim.actions import ActionSpace

_HEADERS = ("#", "Steering (°)", "Speed (m/s)")


class ActionTableModel(QAbstractTableModel):
    """Rows of ``(steering_deg, speed_mps)`` read from an :class:`ActionSpace`."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.actions: tuple[tuple[float, float], ...] = ()

    def set_space(self, space: ActionSpace | None) -> None:
        actions = space.actions if space is not None and space.kind == "discrete" else ()
        if actions == self.actions:
            return
        self.beginResetModel()
        self.actions = actions
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.actions)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        steer, speed = self.actions[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(index.row()), f"{steer:+g}" if steer else "0", f"{speed:g}")[col]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and steer:
            # Left (positive) and right turns in two colours, so the symmetry is visible at a glance.
            return QColor("#1565c0") if steer > 0 else QColor("#ad1457")
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _HEADERS[section]
        return None


class ActionTable(QTableView):
    """A read-only view of a discrete action space; call :meth:`set_space` when it changes."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = ActionTableModel(self)
        self.setModel(self.table)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(24)

    def set_space(self, space: ActionSpace | None) -> None:
        self.table.set_space(space)

    def row_count(self) -> int:
        return self.table.rowCount()
