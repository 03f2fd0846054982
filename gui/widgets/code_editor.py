"""A Python code editor: line numbers, syntax highlighting, and an error line marked in red.

Built the way Qt's own "Code Editor" example builds it: a :class:`QPlainTextEdit` with a
line-number area painted beside the viewport, and a :class:`QSyntaxHighlighter`.
"""

from __future__ import annotations

import keyword
import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QSyntaxHighlighter, QTextCharFormat, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

GUTTER_BG = QColor("#f0f2f5")
GUTTER_FG = QColor("#8795a1")
ERROR_BG = QColor("#ffd9d9")
CURRENT_BG = QColor("#f5f9ff")
_TRIPLE = re.compile(r"'''|\"\"\"")


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins, numbers, strings (triple-quoted ones across lines) and comments."""

    KEYWORD = _fmt("#7b1fa2", bold=True)
    BUILTIN = _fmt("#0d47a1")
    NUMBER = _fmt("#b05a00")
    STRING = _fmt("#2e7d32")
    COMMENT = _fmt("#78909c", italic=True)
    DEF = _fmt("#1565c0", bold=True)

    _BUILTINS = ("abs all any bool dict enumerate float int len list max min print range round "
                 "set sorted str sum tuple zip isinstance math params").split()

    def __init__(self, document):
        super().__init__(document)
        self.rules = [
            (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), self.KEYWORD),
            (re.compile(r"\b(" + "|".join(self._BUILTINS) + r")\b"), self.BUILTIN),
            (re.compile(r"\b[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\b"), self.NUMBER),
            (re.compile(r"(?<=\bdef )\w+"), self.DEF),
        ]
        self.string = re.compile(r"'[^'\\\n]*(\\.[^'\\\n]*)*'|\"[^\"\\\n]*(\\.[^\"\\\n]*)*\"")
        self.comment = re.compile(r"#[^\n]*")

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self.rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
        masked = set()
        for m in self.string.finditer(text):
            self.setFormat(m.start(), m.end() - m.start(), self.STRING)
            masked.update(range(m.start(), m.end()))
        for m in self.comment.finditer(text):
            if m.start() not in masked:
                self.setFormat(m.start(), len(text) - m.start(), self.COMMENT)
                break
        self._triple_quotes(text)

    def _triple_quotes(self, text: str) -> None:
        # Block state 1 or 2: inside a ''' or """ string that began on an earlier line.
        self.setCurrentBlockState(0)
        quote = {1: "'''", 2: '"""'}.get(self.previousBlockState())
        start = pos = 0
        if quote is None:
            m = _TRIPLE.search(text)
            if not m:
                return
            start, quote, pos = m.start(), m.group(), m.end()
        while True:
            end = text.find(quote, pos)
            if end < 0:
                self.setFormat(start, len(text) - start, self.STRING)
                self.setCurrentBlockState(1 if quote == "'''" else 2)
                return
            self.setFormat(start, end + 3 - start, self.STRING)
            m = _TRIPLE.search(text, end + 3)
            if not m:
                return
            start, quote, pos = m.start(), m.group(), m.end()


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor for Python with line numbers and :meth:`mark_error_line`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("codeEditor")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(11)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.highlighter = PythonHighlighter(self.document())
        self.error_line: int | None = None
        self._gutter = _LineNumbers(self)
        self.blockCountChanged.connect(lambda _: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self._update_selections)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    # -- the gutter ---------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def _scroll_gutter(self, rect, dy) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def paint_gutter(self, event) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), GUTTER_BG)
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                is_error = self.error_line == number + 1
                painter.setPen(QColor("#c62828") if is_error else GUTTER_FG)
                font = painter.font()
                font.setBold(is_error)
                painter.setFont(font)
                painter.drawText(0, top, self._gutter.width() - 6, height, Qt.AlignmentFlag.AlignRight,
                                 str(number + 1))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1

    # -- error line -----------------------------------------------------------------------------
    def mark_error_line(self, line: int | None) -> None:
        """Shade 1-based ``line`` red (None clears it) and scroll it into view."""
        self.error_line = line
        if line is not None:
            block = self.document().findBlockByNumber(line - 1)
            if block.isValid():
                cursor = self.textCursor()
                cursor.setPosition(block.position())
                self.setTextCursor(cursor)
                self.centerCursor()
        self._update_selections()
        self._gutter.update()

    def _update_selections(self) -> None:
        selections = []
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(CURRENT_BG)
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections.append(current)
        if self.error_line is not None:
            block = self.document().findBlockByNumber(self.error_line - 1)
            if block.isValid():
                err = QTextEdit.ExtraSelection()
                err.format.setBackground(ERROR_BG)
                err.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                err.cursor = self.textCursor()
                err.cursor.setPosition(block.position())
                err.cursor.clearSelection()
                selections.append(err)
        self.setExtraSelections(selections)
