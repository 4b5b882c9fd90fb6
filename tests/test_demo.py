"""The demo as a function: one material split for both spectroscopies, its table and files."""

import importlib.util

import numpy as np

from sklearn_xas._demo import QUICK_MATERIALS, _material_split, run_demo


def test_material_split_is_shared_and_seeded():
    ids = {f"m{i:03d}" for i in range(200)}
    kept, held = _material_split(ids, 0.25, False, 0)
    assert len(kept) == 200 and len(held) == 50 and held <= set(kept)
    assert _material_split(ids, 0.25, False, 0)[1] == held
    assert _material_split(ids, 0.25, False, 1)[1] != held
    kept, held = _material_split(ids, 0.25, True, 0)
    assert len(kept) == QUICK_MATERIALS and held <= set(kept)


def test_run_demo_scores_each_task_on_held_out_materials(tmp_path):
    result = run_demo(tmp_path, tasks=[("XANES", "nn-distance"), ("EXAFS", "nn-distance")],
                      quick=True, n_jobs=1, neighbor_method="cutoff")
    table = result.table
    assert table.columns.tolist() == ["data", "task", "metric", "model", "baseline"]
    assert set(table["data"]) == {"XANES", "EXAFS"}
    mae = table[table["metric"] == "MAE (A)"]
    assert np.all(mae["model"] < mae["baseline"])
    # both spectroscopies were tested on materials that neither trained on
    assert all(result.split[k]["test"][0] > 0 for k in ("XANES", "EXAFS"))
    names = sorted(p.name for p in result.files)
    assert "metrics.json" in names and "xanes_nn_distance_parity.png" in names
    # the shipped models answered the measured examples, their distances refined by a
    # first-shell fit where xraylarch is installed (the test environment has it)
    assert "measured_examples_chi.png" in names
    fitted = importlib.util.find_spec("larch") is not None
    assert ("measured_examples_fits.png" in names) == fitted
    if fitted:
        assert (result.measured["distance_source"] == "first-shell fit").any()
