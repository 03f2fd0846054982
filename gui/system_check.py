"""Checks, before ``make run`` or ``make test``, that the system has what Qt and venv need.

Python wheels bring Qt itself, but not the system libraries it links against: a fresh Debian or
Ubuntu desktop lacks ``libxcb-cursor0``, ``libxcb-icccm4``, ``libxcb-keysyms1`` and friends, and
Qt then stops with "Could not load the Qt platform plugin xcb". This script finds the missing
libraries with ``ldconfig -p``; as root with ``apt-get`` it installs them (one ``apt-get update``,
then one install), otherwise it prints the one ``sudo apt-get install ...`` line and stops.
The test suite also needs poppler's ``pdftoppm`` and ``pdftotext`` (the printout tests render
each PDF to PNG and read its text back), and the event server's browser tests drive Debian's Chromium
(``/usr/bin/chromium``): the ``offscreen`` check installs ``poppler-utils`` and ``chromium`` the same way.

It runs with the system's Python before any virtual environment exists, so it uses only the
standard library, and it is run as a file (``python3 gui/system_check.py gui``), not imported.

    python3 gui/system_check.py venv        # python3 -m venv works (Debian splits off ensurepip)
    python3 gui/system_check.py offscreen   # what `make test` needs (Qt offscreen, no display)
    python3 gui/system_check.py gui         # what `make run` needs (Qt on X11/XWayland)
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys

GLIB = ("libglib2.0-0t64", "libglib2.0-0")
"""Ubuntu 24.04 and Debian 13 renamed the package (64-bit time); older releases keep the old name."""

OFFSCREEN = {
    # soname: Debian/Ubuntu packages that provide it, preferred first
    "libGL.so.1": ("libgl1",),
    "libEGL.so.1": ("libegl1",),
    "libX11.so.6": ("libx11-6",),
    "libxkbcommon.so.0": ("libxkbcommon0",),
    "libfontconfig.so.1": ("libfontconfig1",),
    "libfreetype.so.6": ("libfreetype6",),
    "libglib-2.0.so.0": GLIB,
    "libgthread-2.0.so.0": GLIB,
    "libdbus-1.so.3": ("libdbus-1-3",),
    "libz.so.1": ("zlib1g",),
    "libzstd.so.1": ("libzstd1",),
}
"""What Qt's libraries and its offscreen platform plugin link against."""

GUI = {
    **OFFSCREEN,
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0",),
    "libxcb.so.1": ("libxcb1",),
    "libX11-xcb.so.1": ("libx11-xcb1",),
    "libxcb-cursor.so.0": ("libxcb-cursor0",),
    "libxcb-icccm.so.4": ("libxcb-icccm4",),
    "libxcb-util.so.1": ("libxcb-util1",),
    "libxcb-image.so.0": ("libxcb-image0",),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1",),
    "libxcb-randr.so.0": ("libxcb-randr0",),
    "libxcb-render.so.0": ("libxcb-render0",),
    "libxcb-render-util.so.0": ("libxcb-render-util0",),
    "libxcb-shape.so.0": ("libxcb-shape0",),
    "libxcb-shm.so.0": ("libxcb-shm0",),
    "libxcb-sync.so.1": ("libxcb-sync1",),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0",),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0",),
    "libxcb-xkb.so.1": ("libxcb-xkb1",),
    "libxcb-glx.so.0": ("libxcb-glx0",),
}
"""What the xcb platform plugin (the desktop app on X11 or XWayland) links against as well."""

TEST_PROGRAMS = {
    # program on PATH: Debian/Ubuntu packages that provide it
    "pdftoppm": ("poppler-utils",),
    "pdftotext": ("poppler-utils",),
}
"""What the test suite runs besides Python: the printout tests render PDFs to PNG and read their text."""

BROWSER = "/usr/bin/chromium"
BROWSER_PACKAGE = ("chromium",)
"""The browser tests drive the system's Chromium headless (Playwright with this executable path; the
``TRACKSIDE_CHROMIUM`` variable names another). Found by path, as Playwright is given it."""

FONT_PACKAGE = "fonts-dejavu-core"
"""Without any font installed, the app's text is drawn as empty boxes."""

_ARCH_TAG = {"x86_64": "x86-64", "aarch64": "AArch64"}


def ldconfig_sonames() -> set[str] | None:
    """Sonames the dynamic loader knows for this machine's architecture; None if it cannot tell."""
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(p)), None)
    if ldconfig is None:
        return None
    try:
        text = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return parse_ldconfig(text, _ARCH_TAG.get(platform.machine()))


def parse_ldconfig(text: str, arch_tag: str | None) -> set[str]:
    """Sonames in ``ldconfig -p`` output; with ``arch_tag`` (e.g. "x86-64") only that architecture's."""
    names = set()
    for line in text.splitlines()[1:]:
        line = line.strip()
        if " => " not in line:
            continue
        name, _, tags = line.split(" => ")[0].partition(" ")
        if arch_tag is None or arch_tag in tags:
            names.add(name)
    return names


def browser_found() -> bool:
    """True when the browser tests' Chromium is there (``TRACKSIDE_CHROMIUM`` or :data:`BROWSER`)."""
    return os.path.exists(os.environ.get("TRACKSIDE_CHROMIUM") or BROWSER)


def has_fonts() -> bool:
    return any(files for folder in ("/usr/share/fonts", "/usr/local/share/fonts")
               for _, _, files in os.walk(folder))


def missing_packages(mode: str, sonames: set[str] | None,
                     which=None) -> tuple[list[tuple[str, ...]], list[str]]:
    """(package choices, sonames or programs) still needed for ``mode``: "venv", "offscreen" or "gui".

    ``which``: finds a program on PATH (default ``shutil.which``; tests pass their own)."""
    which = which or shutil.which
    wanted: list[tuple[str, ...]] = []
    absent: list[str] = []
    if importlib.util.find_spec("ensurepip") is None:  # Debian ships it in pythonX.Y-venv
        wanted.append((f"python{sys.version_info.major}.{sys.version_info.minor}-venv", "python3-venv"))
    if mode in ("offscreen", "gui") and sonames is not None:
        for soname, packages in (GUI if mode == "gui" else OFFSCREEN).items():
            if soname not in sonames:
                absent.append(soname)
                if packages not in wanted:
                    wanted.append(packages)
    if mode == "offscreen":
        for program, packages in TEST_PROGRAMS.items():
            if which(program) is None:
                absent.append(program)
                if packages not in wanted:
                    wanted.append(packages)
        if not browser_found():
            absent.append("chromium")
            wanted.append(BROWSER_PACKAGE)
    if mode == "gui" and not has_fonts():
        wanted.append((FONT_PACKAGE,))
    return wanted, absent


def pick(choices: tuple[str, ...]) -> str:
    """The first package apt knows a version of, else the last (oldest) name."""
    for name in choices:
        out = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True).stdout
        if "Candidate:" in out and "Candidate: (none)" not in out:
            return name
    return choices[-1]


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "gui"
    if mode not in ("venv", "offscreen", "gui"):
        print(f"usage: system_check.py venv|offscreen|gui (got {mode!r})", file=sys.stderr)
        return 2
    if not sys.platform.startswith("linux"):
        return 0  # macOS and Windows wheels bring everything Qt needs
    wanted, absent = missing_packages(mode, ldconfig_sonames())
    if not wanted:
        return 0
    apt = shutil.which("apt-get") is not None
    what = "the desktop app" if mode == "gui" else "the test suite" if mode == "offscreen" else "a virtual environment"
    if not apt:
        print(f"Warning: {what} may need these system libraries, which are not installed: "
              f"{', '.join(absent) or ', '.join(c[0] for c in wanted)}. Install them with your package manager.",
              file=sys.stderr)
        return 0
    if os.geteuid() == 0:
        print(f"Installing the system packages {what} needs ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        packages = [pick(c) for c in wanted]
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)
        if done.returncode == 0:
            return 0
        print(f"Could not install {' '.join(packages)} (apt-get said why above).", file=sys.stderr)
        return 1
    packages = [pick(c) for c in wanted]
    print(f"Trackside: {what} needs system packages that are not installed"
          + (f" (missing: {', '.join(absent)})" if absent else "") + ".\n"
          f"Install them with this one command, then run make again:\n\n"
          f"    sudo apt-get install -y {' '.join(packages)}\n", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
