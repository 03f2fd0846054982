"""`make run` / `make test` check Qt's system libraries with gui/system_check.py (stdlib only, run as a file)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "gui" / "system_check.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("system_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_finds_this_machines_libraries_and_the_test_suites_are_all_there(check):
    sonames = check.ldconfig_sonames()
    assert sonames is not None and "libc.so.6" in sonames
    # This suite runs Qt offscreen right now, so nothing the offscreen check asks for can be missing.
    assert check.missing_packages("offscreen", sonames) == ([], [])


def test_a_missing_xcb_library_names_its_debian_package(check):
    sonames = check.ldconfig_sonames() | set(check.GUI)
    sonames -= {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libglib-2.0.so.0", "libgthread-2.0.so.0"}
    wanted, absent = check.missing_packages("gui", sonames)
    assert ("libxcb-cursor0",) in wanted and ("libxcb-icccm4",) in wanted
    assert wanted.count(check.GLIB) == 1  # two sonames, one package
    assert set(absent) == {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libglib-2.0.so.0", "libgthread-2.0.so.0"}
    assert check.missing_packages("offscreen", sonames)[0] == [check.GLIB]  # no xcb for the offscreen tests


def test_parses_ldconfig_for_one_architecture(check):
    text = ("3 libs found in cache `/etc/ld.so.cache'\n"
            "\tlibxcb.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libxcb.so.1\n"
            "\tlibxcb.so.1 (libc6) => /lib/i386-linux-gnu/libxcb.so.1\n"
            "\tlibGL.so.1 (libc6) => /lib/i386-linux-gnu/libGL.so.1\n")
    assert check.parse_ldconfig(text, "x86-64") == {"libxcb.so.1"}
    assert check.parse_ldconfig(text, None) == {"libxcb.so.1", "libGL.so.1"}


def test_runs_with_the_standard_library_alone():
    """It runs before .venv exists: with `python -I -S` (no site-packages) it still works."""
    done = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "offscreen"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
