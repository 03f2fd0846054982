"""The layers point one way: sim <- trainer <- league <- gui, and Qt stays in gui/.

Also: no module imports another module's private (``_name``) names, the project's modules
import each other without cycles, and only the front-ends (``gui/``) use click.
"""

import ast
from collections import defaultdict
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


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the four layers."""
    out = {}
    for layer in ORDER:
        for path in (ROOT / layer).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imported_names(module: str, path: Path):
    """``(target module, imported name or None)`` for each import in ``path``, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for alias in node.names:
                yield base, alias.name


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


def test_only_the_front_ends_use_click():
    """The command line is a front-end like the app: the layers below never parse arguments."""
    offenders = [str(p.relative_to(ROOT)) for layer in ORDER[:-1] for p in (ROOT / layer).rglob("*.py")
                 if "click" in imports_of(p)]
    assert not offenders, f"click imported outside gui/: {offenders}"


def test_no_private_names_imported_across_modules():
    modules = project_modules()
    problems = []
    for module, path in modules.items():
        for target, name in imported_names(module, path):
            if target in modules and target != module and name and name.startswith("_") \
                    and not name.startswith("__"):
                problems.append(f"{path.relative_to(ROOT)} imports {target}.{name}")
    assert not problems, "\n".join(problems)


def test_modules_import_each_other_without_cycles():
    modules = project_modules()
    graph = defaultdict(set)
    for module, path in modules.items():
        for target, name in imported_names(module, path):
            for candidate in (target, f"{target}.{name}" if name else None):
                if candidate in modules and candidate != module:
                    graph[module].add(candidate)
    # Depth-first search; a grey node met again closes a cycle.
    colour, cycles = {}, []

    def visit(node, trail):
        colour[node] = "grey"
        for nxt in sorted(graph[node]):
            if colour.get(nxt) == "grey":
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in colour:
                visit(nxt, trail + [nxt])
        colour[node] = "black"

    for module in sorted(modules):
        if module not in colour:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
