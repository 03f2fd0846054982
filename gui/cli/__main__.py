"""``python -m gui.cli`` runs the ``trackside`` command (the app starts training processes this way)."""

from gui.cli import main

main()
