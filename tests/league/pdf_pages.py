"""PDFs as a reader sees them, for the printout and coaching-card tests: pages rendered by poppler's
pdftoppm (a PNG beside the PDF, to look at, and the pixels), the text by pdftotext."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

DPI = 50


def pages(pdf: Path) -> list[np.ndarray]:
    """Each page rendered at 50 dpi: a PNG beside the PDF (to look at) and ``(h, w, 3)`` uint8 pixels."""
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    subprocess.run(["pdftoppm", "-r", str(DPI), str(pdf), str(pdf.with_suffix(""))], check=True)
    out = []
    for ppm in sorted(pdf.parent.glob(f"{pdf.stem}-*.ppm")):
        data = ppm.read_bytes()
        magic, w, h, top, rest = data.split(maxsplit=4)
        assert magic == b"P6" and top == b"255"
        out.append(np.frombuffer(rest, np.uint8).reshape(int(h), int(w), 3))
    assert sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))
    return out


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
