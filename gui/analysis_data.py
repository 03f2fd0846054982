"""What the analysis page shows about a model, computed off the GUI thread (no Qt here).

From ``metrics/iterations.jsonl``: per-iteration curves. From the training SIM_TRACE CSVs
(``trainer.simtrace.read_simtrace``): where the cars drove (a 2D histogram of the
reference point) and which actions they took where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.simtrace import read_simtrace

HEAT_CELL_M = 0.08
"""Side of a heat-map cell, m."""
HEAT_MARGIN_M = 0.6
"""Heat map extent beyond the road, m: the reference point of a car whose four wheels have just
left the road lies up to ``reference_offset`` (0.22 m) plus one step at 4 m/s (0.27 m) beyond
it, and the blur needs one more cell."""
MAX_POINTS = 6000
"""Action points drawn on the map (an even sample of all rows)."""
MAX_TRACE_BYTES = 12_000_000
"""SIM_TRACE read for the map, bytes (about 100,000 rows, a few seconds): every car is traced, so a
long training holds far more; beyond this an even spread of iteration files (the last one always) is read."""


@dataclass
class AnalysisData:
    model: str
    track: str | None
    iterations: dict[str, np.ndarray]
    """Per-iteration columns ``(n_iterations,)``: iteration, mean_reward, mean_progress, completion_rate,
    best_lap_s, eval_progress, eval_best_lap_s (NaN where missing)."""
    checkpoints: list[dict]
    best: int | None
    final: int | None
    heat: np.ndarray | None = None
    """Steps per cell ``(ny, nx)``, rows along y."""
    heat_rect: tuple[float, float, float, float] | None = None
    """``(x0, y0, width, height)`` of the heat map, m."""
    points: np.ndarray | None = None
    """Sampled rows ``(k, 4)``: x, y m; steering degrees; speed m/s."""
    action_counts: np.ndarray | None = None
    """Steps per action index (discrete spaces)."""
    action_labels: list[str] = field(default_factory=list)
    action_steering: list[float] = field(default_factory=list)
    """Steering angle of each discrete action, degrees."""
    rows: int = 0
    """SIM_TRACE rows read."""
    trace_files: int = 0
    """Iteration files read (an even spread of them past :data:`MAX_TRACE_BYTES`)."""
    trace_files_total: int = 0
    max_speed: float = 4.0
    continuous: bool = False


ITERATION_KEYS = ("iteration", "mean_reward", "mean_progress", "completion_rate", "best_lap_s", "eval_progress",
                  "eval_best_lap_s", "eval_laps_completed")


def load_analysis(model) -> AnalysisData:
    """Everything the analysis page draws for ``model`` (reads files; call it off the GUI thread)."""
    rows = model.read_iterations()
    cols = {k: np.full(len(rows), np.nan) for k in ITERATION_KEYS}
    prev_episodes = 0
    for i, row in enumerate(rows):
        ev = row.get("eval") or {}
        fresh = row.get("episodes", 1) > prev_episodes  # an iteration stopped before any episode has no means
        prev_episodes = row.get("episodes", prev_episodes)
        for key in ITERATION_KEYS:
            value = ev.get(key[5:]) if key.startswith("eval_") else row.get(key)
            if key in ("mean_reward", "mean_progress", "completion_rate", "best_lap_s") and not fresh:
                value = None
            cols[key][i] = float(value) if isinstance(value, (int, float)) else np.nan
    try:
        track = model.training_config().track
    except Exception:  # an imported folder without Trackside's config: no track to draw on
        track = None
    data = AnalysisData(model.name, track, cols, model.list_checkpoints(), marked(model, "best"),
                        marked(model, "final"))
    meta = model.metadata()
    space = meta.action_space
    data.max_speed, data.continuous = space.max_speed, space.kind == "continuous"
    files = sorted(model.training_simtrace_dir.glob("*-iteration.csv"), key=_iteration_of)
    data.trace_files_total = len(files)
    files = spread_within(files, MAX_TRACE_BYTES)
    data.trace_files = len(files)
    xs, ys, steer, speed, action = [], [], [], [], []
    for path in files:
        t = read_simtrace(path)
        if not len(t.get("X", ())):
            continue
        xs.append(t["X"]), ys.append(t["Y"]), steer.append(t["steer"]), speed.append(t["throttle"])
        action.append(t["action"])
    if not xs:
        return data
    x, y = np.concatenate(xs), np.concatenate(ys)
    data.rows = len(x)
    if track is not None:
        from sim.library import load_track

        x0, y0, x1, y1 = load_track(track).bounds
    else:
        x0, y0, x1, y1 = float(x.min()), float(y.min()), float(x.max()), float(y.max())
    m = HEAT_MARGIN_M
    x0, y0, x1, y1 = x0 - m, y0 - m, x1 + m, y1 + m
    nx, ny = max(int((x1 - x0) / HEAT_CELL_M), 1), max(int((y1 - y0) / HEAT_CELL_M), 1)
    counts, _, _ = np.histogram2d(y, x, bins=(ny, nx), range=((y0, y1), (x0, x1)))
    data.heat = _smooth(counts)
    data.heat_rect = (x0, y0, x1 - x0, y1 - y0)
    pick = np.linspace(0, len(x) - 1, min(MAX_POINTS, len(x))).astype(int)
    data.points = np.stack([x[pick], y[pick], np.concatenate(steer)[pick], np.concatenate(speed)[pick]], axis=1)
    if not data.continuous:
        acts = np.concatenate(action)
        idx = np.array([int(a) if a.lstrip("-").isdigit() else -1 for a in acts])
        data.action_counts = np.bincount(idx[idx >= 0], minlength=space.n)[:space.n]
        data.action_labels = [f"{s:+.0f}°, {v:g} m/s" for s, v in space.actions]
        data.action_steering = [float(s) for s, _ in space.actions]
    return data


def marked(model, which: str) -> int | None:
    """The iteration of the model's "best" or "final" checkpoint, or None."""
    from trainer.model_store import ModelStoreError

    try:
        return int(model.resolve_checkpoint(which).stem.split("-")[1])
    except (ModelStoreError, ValueError, IndexError):
        return None


def spread_within(files: list, max_bytes: int) -> list:
    """``files`` (in order) if together within ``max_bytes``, else an even spread of them that is,
    ending with the last file."""
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    if total <= max_bytes or len(files) <= 1:
        return files
    k = max(1, int(len(files) * max_bytes / total))
    pick = np.unique(np.linspace(len(files) - 1, 0, k).round().astype(int))
    return [files[i] for i in pick]


def _iteration_of(path) -> int:
    try:
        return int(path.name.split("-")[0])
    except ValueError:
        return -1


def _smooth(counts: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur, so a few thousand steps read as a density rather than dots."""
    k = np.array([1.0, 2.0, 1.0]) / 4.0
    p = np.pad(counts, 1)
    rows = k[0] * p[:-2] + k[1] * p[1:-1] + k[2] * p[2:]
    return k[0] * rows[:, :-2] + k[1] * rows[:, 1:-1] + k[2] * rows[:, 2:]


def heat_rgba(counts: np.ndarray, cmap) -> np.ndarray:
    """Counts ``(ny, nx)`` as an RGBA image: log-scaled colours, transparent where no car went."""
    scaled = np.log1p(counts)
    top = scaled.max() if counts.size and scaled.max() > 0 else 1.0
    rgba = cmap.map(scaled / top, mode="byte").reshape(counts.shape + (4,)).copy()
    rgba[..., 3] = np.where(counts > 0.05, 230, 0)
    return rgba
