"""Figures: what they draw (panels, lines, points, bars) and their input checks."""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from sklearn_xas.plotting import per_element_f1, plot_parity, plot_per_element_f1, plot_spectra


def test_plot_spectra_panels_and_lines():
    k = np.linspace(0, 12, 60)
    true = np.sin(np.outer(np.arange(1, 9), k))
    fig = plot_spectra(k, true, true * 0.8, titles=[f"site {i}" for i in range(8)],
                       max_panels=4, ncols=2)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 4
    for i, ax in enumerate(fig.axes):
        assert len(ax.lines) == 2
        assert np.allclose(ax.lines[0].get_ydata(), true[i])
        assert np.allclose(ax.lines[1].get_ydata(), true[i] * 0.8)
        assert ax.get_title() == f"site {i}"
    assert fig.axes[0].get_legend() is not None


def test_plot_spectra_without_prediction_and_empty_slots(tmp_path):
    k = np.linspace(0, 12, 60)
    fig = plot_spectra(k, np.sin(np.outer([1, 2, 3], k)), ncols=2)
    assert len(fig.axes) == 3  # the unused fourth slot is removed
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    fig.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_plot_spectra_shape_errors():
    with pytest.raises(ValueError, match="Shapes differ"):
        plot_spectra(np.arange(5), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="Shapes differ"):
        plot_spectra(np.arange(5), np.zeros((2, 5)), np.zeros((3, 5)))


def test_plot_parity_points_diagonal_and_stats():
    rng = np.random.default_rng(0)
    yt = rng.uniform(1.8, 3.2, 40)
    yp = yt + rng.normal(0, 0.05, 40)
    ax = plot_parity(yt, yp, title="NN distance")
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (40, 2)
    assert np.allclose(offsets[:, 0], yt) and np.allclose(offsets[:, 1], yp)
    diag = ax.lines[0]
    assert np.allclose(diag.get_xdata(), diag.get_ydata())
    text = ax.texts[0].get_text()
    mae = np.mean(np.abs(yt - yp))
    assert f"MAE = {mae:.3f}" in text and "n = 40" in text
    assert ax.get_title() == "NN distance"
    with pytest.raises(ValueError, match="one length"):
        plot_parity([1, 2], [1])


def test_plot_parity_on_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert plot_parity([1.0, 2.0], [1.1, 2.2], ax=ax) is ax


def test_per_element_f1_scores_and_order():
    y_true = [("Cl",), ("Cl",), ("Na",), ("O",), ("O", "S")]
    y_pred = [("Cl",), ("O",), ("Na",), ("O",), ("O",)]
    scores = per_element_f1(y_true, y_pred, ["Na", "Na", "Cl", "Fe", "Fe"])
    assert list(scores["element"]) == ["Na", "Cl", "Fe"]  # by atomic number
    assert list(scores["n"]) == [2, 1, 2]
    assert scores["f1"][0] == pytest.approx(0.5)  # Na: TP 1, FP 1, FN 1
    assert scores["f1"][1] == 1.0
    assert scores["f1"][2] == pytest.approx(0.8)  # Fe: TP 2, FN 1
    assert list(scores["exact"]) == [0.5, 1.0, 0.5]
    # an indicator matrix gives the same
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer().fit(y_true + y_pred)
    again = per_element_f1(mlb.transform(y_true), mlb.transform(y_pred),
                           ["Na", "Na", "Cl", "Fe", "Fe"])
    assert np.allclose(again["f1"], scores["f1"])


def test_per_element_f1_when_nothing_is_predicted():
    # a model that predicts no neighbour at all scores 0, it does not fail
    scores = per_element_f1([("Cl",), ("Na",)], [(), ()], ["Na", "Cl"])
    assert list(scores["f1"]) == [0.0, 0.0] and list(scores["exact"]) == [0.0, 0.0]


def test_plot_per_element_f1_bars():
    y_true = [("Cl",), ("Cl",), ("Na",), ("O",)]
    y_pred = [("Cl",), ("O",), ("Na",), ("O",)]
    ax = plot_per_element_f1(y_true, y_pred, ["Na", "Na", "Cl", "Fe"], title="F1")
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.5, 1.0, 1.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Na", "Cl", "Fe"]
    overall = ax.lines[0].get_ydata()[0]
    assert overall == pytest.approx(0.75)
    assert ax.get_title() == "F1"


def test_coordination_number_confusion_is_drawn_without_pyplot():
    import matplotlib.pyplot as plt
    import pandas as pd

    from sklearn_xas.plotting import plot_task_results

    before = plt.get_fignums()
    r = SimpleNamespace(truth=[4, 6, 6, 12], prediction=[4, 6, 4, 12])
    [(name, fig)] = plot_task_results({"coordination-number": r}, pd.DataFrame())
    assert name == "coordination_number_confusion.png" and plt.get_fignums() == before
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "6", "12"]


def test_plot_first_shell_fits_draws_the_fitted_rows_only():
    from sklearn_xas.datasets import load_prototype_exafs
    from sklearn_xas.plotting import plot_first_shell_fits
    from sklearn_xas.simulate import FirstShellFit

    data = load_prototype_exafs(elements=["Cu"])[:3]
    k, chi = data.frame["x"].iloc[1], data.frame["y"].iloc[1]
    fit = FirstShellFit(neighbor="Cu", distance=2.55, distance_std=0.01, amplitude=10.0,
                        sigma2=0.008, e0_shift=1.0, r_factor=0.2, n_independent=6.0,
                        accepted=False, k_range=(3.0, 11.0), r_range=(1.6, 2.7), k=k,
                        chi_fit=0.9 * chi)
    fig = plot_first_shell_fits(data, [None, fit, None])
    assert len(fig.axes) == 2  # one row: the fitted spectrum
    title = fig.axes[0].get_title(loc="left")
    assert data.frame["material_id"].iloc[1] in title and "not accepted" in title
    (x, y_data), (_, y_fit) = (line.get_data() for line in fig.axes[0].lines)
    np.testing.assert_allclose(y_fit, 0.9 * y_data, atol=1e-9)
    with pytest.raises(ValueError, match="2 fits for 3 rows"):
        plot_first_shell_fits(data, [fit, fit])
    with pytest.raises(ValueError, match="No row has a fit"):
        plot_first_shell_fits(data, [None, None, None])


def test_plot_reliability_points_diagonal_and_ece():
    from sklearn_xas.metrics import expected_calibration_error, reliability_curve
    from sklearn_xas.plotting import plot_reliability

    rng = np.random.default_rng(0)
    p = rng.uniform(size=4000)
    outcome = (rng.uniform(size=p.size) < p).astype(int)
    overconfident = np.where(p > 0.5, 0.95, 0.05)
    ax = plot_reliability(outcome, p, label="calibrated", title="toy")
    assert plot_reliability(outcome, overconfident, label="overconfident", ax=ax) is ax
    diag = ax.lines[0]
    assert np.allclose(diag.get_xdata(), diag.get_ydata())
    assert len(ax.lines) == 3 and len(ax.collections) == 2  # one diagonal, two curves
    mean, frac, counts = reliability_curve(outcome, overconfident)
    assert np.allclose(ax.lines[2].get_xydata(), np.column_stack([mean, frac]))
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    ece = expected_calibration_error(outcome, overconfident)
    assert texts[1] == f"overconfident (ECE {ece:.2f})"
    assert float(texts[0].split("ECE ")[1][:-1]) < 0.05 < ece
    assert ax.get_title() == "toy"


def test_plot_reliability_multiclass_scores_the_top_class():
    from sklearn_xas.plotting import plot_reliability

    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    ax = plot_reliability(np.array([4, 6, 6, 4]), proba, labels=[4, 6], n_bins=2)
    # top-class confidences 0.9, 0.8, 0.7, 0.6 all fall in the upper bin; 2 of 4 right
    assert np.allclose(ax.lines[1].get_xydata(), [[0.75, 0.5]])
    with pytest.raises(ValueError, match="probabilities"):
        plot_reliability([0, 1], [0.5, 1.5])
