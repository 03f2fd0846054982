"""The app's Models page with broken model folders in the home: every model lists, the broken
ones as failed with their problem, and the app starts (it refused to start before)."""

from __future__ import annotations

import json

from gui.pages.models import ModelsPage


def _break_eval(store, name, lap):
    model = store.get(name)
    index = json.loads(model.index_path.read_text())
    for entry in index["checkpoints"]:
        if isinstance(entry.get("eval"), dict):
            entry["eval"].update(standing_start_s=lap, best_lap_s=lap, first_lap_s=lap)
    model.index_path.write_text(json.dumps(index))


def test_the_models_page_loads_with_broken_models_beside_good_ones(qtbot, ctx, trained_model, trackside_home):
    import shutil

    models = trackside_home / "models"
    for name in ("list-lap", "huge-lap", "bad-status", "bad-meta"):
        shutil.copytree(models / trained_model, models / name)
    _break_eval(ctx.store, "list-lap", [2])
    _break_eval(ctx.store, "huge-lap", 1e308)
    (models / "bad-status" / "status.json").write_text("{not json")
    (models / "bad-meta" / "model" / "model_metadata.json").write_text('{"action_space": [{"index": "a"}]}')
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    names = [r.name for r in page.table_model.rows]
    assert sorted(names) == sorted(["list-lap", "huge-lap", "bad-status", "bad-meta", trained_model])
    rows = {r.name: r for r in page.table_model.rows}
    assert rows[trained_model].status == "ready" and rows[trained_model].best_lap_s is not None
    assert rows["list-lap"].status == "ready" and rows["list-lap"].best_lap_s is None
    assert rows["huge-lap"].best_lap_s is None  # not a nonsense "-5.0 s"
    assert rows["bad-status"].status == "failed" and "status.json" in rows["bad-status"].problem
    assert "model_metadata.json" in rows["bad-meta"].problem
