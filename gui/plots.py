"""Plot and layout helpers the monitor, evaluation and analysis pages share.

Plots are light with dark text (they sit on the light pages); the track views stay dark.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

INK = "#1f2933"
GRID_ALPHA = 0.25
BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
RED = "#d62728"
PURPLE = "#9467bd"
GREY = "#9aa5b1"


class IntegerAxis(pg.AxisItem):
    """An axis for counts (iterations, laps): ticks only on whole numbers."""

    def tickSpacing(self, minVal, maxVal, size):
        levels, seen = [], set()
        for spacing, offset in super().tickSpacing(minVal, maxVal, size):
            spacing = max(1.0, float(round(spacing)))
            if spacing not in seen:
                seen.add(spacing)
                levels.append((spacing, offset))
        return levels


def titled(title: str, series: list[tuple[str, str]] = ()) -> str:
    """A plot title with its legend inline: coloured marks and names after the title."""
    keys = "&nbsp;".join(f"<span style='color:{c}'>&#9679;</span><span style='color:#52606d;"
                         f"font-size:8pt'>&nbsp;{n}</span>" for n, c in series)
    head = f"<span style='color:{INK};font-size:10pt'>{title}</span>"
    return head + (f"&nbsp;&nbsp;{keys}" if keys else "")


def make_plot(title: str, x_label: str, y_label: str, *, series: list[tuple[str, str]] = (),
              integer_x: bool = False, integer_y: bool = False) -> pg.PlotWidget:
    """A white plot with a title (and its series named in it), labelled axes and a light grid."""
    axes = {}
    if integer_x:
        axes["bottom"] = IntegerAxis("bottom")
    if integer_y:
        axes["left"] = IntegerAxis("left")
    plot = pg.PlotWidget(background="w", axisItems=axes)
    plot.setMenuEnabled(False)
    item = plot.getPlotItem()
    item.setTitle(titled(title, series))
    font = QFont()
    font.setPointSize(9)
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen("#52606d"))
        axis.setTextPen(pg.mkPen(INK))
        axis.setTickFont(font)
        axis.setLabel(text, color="#3e4c59", **{"font-size": "9pt"})
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    plot.setMinimumHeight(110)
    return plot


def line(plot: pg.PlotWidget, color: str, name: str | None = None, *, width: float = 2.0, symbol: str | None = None,
         size: float = 6) -> pg.PlotDataItem:
    return plot.plot([], [], pen=pg.mkPen(color, width=width), name=name, symbol=symbol, symbolSize=size,
                     symbolBrush=color, symbolPen=None)


def dots(plot: pg.PlotWidget, color: str, name: str | None = None, size: float = 4) -> pg.PlotDataItem:
    c = QColor(color)
    c.setAlpha(140)
    return plot.plot([], [], pen=None, symbol="o", symbolSize=size, symbolBrush=c, symbolPen=None, name=name)


def set_xy(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """Plot only the finite points (pyqtgraph warns about NaN in connected lines)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    item.setData(x[ok], y[ok])


def card(title: str | None, *widgets: QWidget, margins: int = 10) -> QFrame:
    """A white rounded panel with an optional heading."""
    frame = QFrame(objectName="card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(6)
    if title:
        heading = QLabel(title)
        heading.setProperty("role", "heading")
        layout.addWidget(heading)
    for w in widgets:
        layout.addWidget(w)
    return frame


class Fact(QWidget):
    """A small caption over a big value: "Elapsed" / "3:12"."""

    def __init__(self, caption: str, value: str = "-"):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.caption = QLabel(caption.upper())
        self.caption.setStyleSheet("font-size: 10px; font-weight: 600; color: #5f6b7a; letter-spacing: 1px;")
        self.value = QLabel(value)
        self.value.setStyleSheet(f"font-size: 18px; font-weight: 600; color: {INK};")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)

    def set(self, text: str) -> None:
        if self.value.text() != text:
            self.value.setText(text)


STATUS_CHIP = {
    "draft": ("#607d8b", "Draft"), "training": ("#1565c0", "Training"), "stopping": ("#ef6c00", "Stopping"),
    "ready": ("#2e7d32", "Ready"), "failed": ("#c62828", "Failed"), "starting": ("#1565c0", "Starting"),
}


def chip_style(status: str) -> str:
    color = STATUS_CHIP.get(status, ("#607d8b", status))[0]
    return (f"background: {color}; color: white; border-radius: 10px; padding: 3px 12px; "
            "font-weight: 600; font-size: 12px;")


def format_duration(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "-"
    s = int(max(seconds, 0))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speed_colormap():
    """The colour map for speeds (slow blue to fast red), the same as the track view's paths."""
    return pg.colormap.get("turbo") if "turbo" in pg.colormap.listMaps() else pg.colormap.get("viridis")
