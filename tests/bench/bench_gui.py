"""Desktop-app benchmarks: ``gui.train_steps_ratio`` and ``gui.monitor_fps``.

The code drives Qt, so it lives with the GUI tests in ``tests/gui/monitor_bench.py``
(Qt stays in gui/ and tests/gui/); this script runs it as ``make bench`` expects.
Needs ``QT_QPA_PLATFORM=offscreen`` on a machine without a display (``make bench`` sets it).
"""

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "gui" / "monitor_bench.py"), run_name="__main__")
