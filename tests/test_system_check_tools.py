"""`make test` also needs poppler's pdftoppm and pdftotext (the printout tests render PDFs): gui/system_check.py
installs poppler-utils for the offscreen check, or names the one package to install."""

import importlib.util
import shutil
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "gui" / "system_check.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("system_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_pdf_tools_ask_for_poppler_utils_once_for_the_tests_only(check):
    sonames = check.ldconfig_sonames()
    wanted, absent = check.missing_packages("offscreen", sonames, which=lambda program: None)
    assert wanted == [("poppler-utils",)] and absent == ["pdftoppm", "pdftotext"]
    assert ("poppler-utils",) not in check.missing_packages("gui", sonames, which=lambda program: None)[0]  # not the app
    assert check.missing_packages("offscreen", sonames)[0] == []  # on this machine they are installed
    assert shutil.which("pdftoppm") and shutil.which("pdftotext")


def test_without_root_it_prints_the_one_install_line(check, monkeypatch, capsys):
    """Not root, poppler missing: the check stops with the one ``sudo apt-get install`` line naming poppler-utils."""
    if shutil.which("apt-get") is None:
        pytest.skip("not a Debian-like system")
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name.startswith("pdfto") else real(name, *a, **k))
    monkeypatch.setattr(check.os, "geteuid", lambda: 1000)
    assert check.main(["offscreen"]) == 1
    err = capsys.readouterr().err
    assert "missing: pdftoppm, pdftotext" in err or "pdftoppm" in err
    assert "sudo apt-get install -y" in err and "poppler-utils" in err.split("sudo apt-get install -y")[1]
