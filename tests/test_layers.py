"""The layers point one way: sim <- trainer <- league <- gui, and Qt stays in gui/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["sim", "trainer", "league", "gui"]
QT = {"PySide6", "pyqtgraph", "shiboken6"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_layer_imports_a_layer_above_it_and_qt_stays_in_gui():
    problems = []
    for i, layer in enumerate(ORDER):
        above = set(ORDER[i + 1:])
        for path in (ROOT / layer).rglob("*.py"):
            found = imports_of(path)
            if found & above:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(found & above)}")
            if layer != "gui" and found & QT:
                problems.append(f"{path.relative_to(ROOT)} imports Qt ({sorted(found & QT)})")
    assert not problems, "\n".join(problems)
