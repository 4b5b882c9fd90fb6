"""Figures for spectra and model results, drawn without pyplot (safe on headless machines).

Every function draws on a given Matplotlib ``Axes`` or, without one, on a new
:class:`matplotlib.figure.Figure` that is not registered with pyplot (so no GUI
backend is touched and nothing leaks between calls). Save with ``fig.savefig(...)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import XASDataError
from ..metrics import expected_calibration_error, reliability_curve


def _new_axes(ax, figsize):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def _as_2d(y, name):
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}.")
    return arr


def plot_spectra(x, y_true, y_pred=None, *, titles=None, max_panels=6, ncols=3,
                 xlabel="k (1/Å)", ylabel="χ(k)", fig=None):
    """Spectra, one panel each, with predicted spectra overlaid as dashed lines.

    Parameters
    ----------
    x : array-like of shape (n_points,)
        The common grid.
    y_true : array-like of shape (n_spectra, n_points) or (n_points,)
        Reference spectra (solid lines).
    y_pred : array-like of the same shape, optional
        Predicted spectra (dashed lines).
    titles : list of str, optional
        One title per spectrum (e.g. material and site).
    max_panels : int, default=6
        Draw at most this many spectra (the first ones).
    ncols : int, default=3
        Panels per row.
    xlabel, ylabel : str
        Axis labels.
    fig : matplotlib.figure.Figure, optional
        Figure to draw on (a new one by default).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One Axes per spectrum drawn, each with one line (``y_true``) or two
        (``y_true`` and ``y_pred``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.plotting import plot_spectra
    >>> k = np.linspace(0, 12, 50)
    >>> fig = plot_spectra(k, np.sin([k, 2 * k]), np.sin([k, 2 * k]) * 0.9)
    >>> len(fig.axes), len(fig.axes[0].lines)
    (2, 2)
    """
    x = np.asarray(x, dtype=np.float64)
    yt = _as_2d(y_true, "y_true")
    yp = None if y_pred is None else _as_2d(y_pred, "y_pred")
    if yt.shape[1] != x.size or (yp is not None and yp.shape != yt.shape):
        raise ValueError(
            f"Shapes differ: x {x.shape}, y_true {yt.shape}"
            + ("" if yp is None else f", y_pred {yp.shape}") + "."
        )
    n = min(len(yt), int(max_panels))
    if n < 1:
        raise ValueError("No spectrum to plot.")
    ncols = max(1, min(int(ncols), n))
    nrows = int(np.ceil(n / ncols))
    if fig is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(3.6 * ncols, 2.6 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.remove()
            continue
        ax.plot(x, yt[i], color="k", lw=1.2, label="true")
        if yp is not None:
            ax.plot(x, yp[i], color="C3", lw=1.2, ls="--", label="predicted")
        if titles is not None and i < len(titles):
            ax.set_title(str(titles[i]), fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.tick_params(labelsize=8)
    if yp is not None:
        fig.axes[0].legend(fontsize=8, loc="best")
    return fig


def plot_parity(y_true, y_pred, *, ax=None, quantity="mean NN distance", unit="Å",
                title=None):
    """Parity plot: predicted against true values, with the diagonal and MAE/R^2.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted values.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure's by default).
    quantity : str, default="mean NN distance"
        What is plotted, for the axis labels.
    unit : str, default="Å"
        Unit of the values, for the axis labels and the MAE.
    title : str, optional
        Title of the axes; none when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        Holds one scatter collection (one point per sample) and the diagonal line.

    Examples
    --------
    >>> from sklearn_xas.plotting import plot_parity
    >>> ax = plot_parity([2.0, 2.5, 3.0], [2.1, 2.4, 3.0])
    >>> ax.collections[0].get_offsets().shape
    (3, 2)
    """
    from sklearn.metrics import mean_absolute_error, r2_score

    yt = np.asarray(y_true, dtype=np.float64).ravel()
    yp = np.asarray(y_pred, dtype=np.float64).ravel()
    if yt.shape != yp.shape or yt.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of one length, got "
                         f"{yt.size} and {yp.size}.")
    ax = _new_axes(ax, (4.2, 4.0))
    lo = float(min(yt.min(), yp.min()))
    hi = float(max(yt.max(), yp.max()))
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.5", lw=1, ls="--")
    ax.scatter(yt, yp, s=14, alpha=0.7, color="C0", edgecolor="none")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"true {quantity} ({unit})")
    ax.set_ylabel(f"predicted {quantity} ({unit})")
    stats = f"MAE = {mean_absolute_error(yt, yp):.3f} {unit}"
    if yt.size > 1:
        stats += f"\n$R^2$ = {r2_score(yt, yp):.3f}"
    stats += f"\nn = {yt.size}"
    ax.text(0.04, 0.96, stats, transform=ax.transAxes, va="top", fontsize=9)
    if title:
        ax.set_title(title)
    return ax


def _numeric_indicator(y):
    """``y`` as an int indicator matrix, or ``None`` if it holds label collections."""
    if isinstance(y, pd.DataFrame):
        y = y.to_numpy()
    try:
        arr = np.asarray(y)
    except ValueError:  # ragged collections
        return None
    if arr.ndim == 2 and arr.shape[1] == 0 and not isinstance(y, np.ndarray):
        return None  # a list of empty collections (nothing predicted), not 0 labels
    if arr.ndim == 2 and arr.dtype.kind in "biuf":
        return arr.astype(int)
    return None


def _indicator(y, classes):
    from sklearn.preprocessing import MultiLabelBinarizer

    arr = _numeric_indicator(y)
    if arr is not None:
        return arr
    return MultiLabelBinarizer(classes=classes).fit_transform([tuple(v) for v in y])


def _classes(y_true, y_pred, classes):
    if classes is not None or _numeric_indicator(y_true) is not None:
        return classes
    return sorted({c for row in list(y_true) + list(y_pred) for c in row})


def per_element_f1(y_true, y_pred, elements, *, classes=None):
    """F1 of a multi-label prediction for each absorbing element.

    Parameters
    ----------
    y_true, y_pred : indicator array of shape (n_samples, n_labels) or sequence of
        label collections (e.g. ``[("Cl",), ("O", "S")]``)
    elements : array-like of shape (n_samples,)
        The absorbing element of each sample.
    classes : list of str, optional
        Label order, needed for collections when not every label occurs.

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``element``, ``f1`` (micro-averaged over labels, over that element's
        samples), ``exact`` (fraction with exactly the right set) and ``n``; sorted
        by atomic number.

    Examples
    --------
    >>> from sklearn_xas.plotting import per_element_f1
    >>> per_element_f1([("Cl",), ("Na",), ("O",)], [("Cl",), ("Na", "O"), ("O",)],
    ...                ["Na", "Cl", "Mg"])
      element        f1  exact  n
    0      Na  1.000000    1.0  1
    1      Mg  1.000000    1.0  1
    2      Cl  0.666667    0.0  1
    """
    from pymatgen.core import Element
    from sklearn.metrics import f1_score

    elements = np.asarray(elements, dtype=str)
    classes = _classes(y_true, y_pred, classes)
    yt, yp = _indicator(y_true, classes), _indicator(y_pred, classes)
    if yt.shape != yp.shape or len(yt) != len(elements):
        raise ValueError(
            f"y_true {yt.shape}, y_pred {yp.shape} and elements ({len(elements)}) disagree."
        )
    rows = []
    for el in np.unique(elements):
        m = elements == el
        f1 = f1_score(yt[m], yp[m], average="micro", zero_division=0.0)
        exact = float(np.mean(np.all(yt[m] == yp[m], axis=1)))
        try:
            z = Element(el).Z
        except ValueError:
            z = 999
        rows.append((z, el, float(f1), exact, int(m.sum())))
    rows.sort()
    return pd.DataFrame([r[1:] for r in rows], columns=["element", "f1", "exact", "n"])


def plot_per_element_f1(y_true, y_pred, elements, *, classes=None, ax=None, title=None):
    """Bar chart of the neighbour-type F1 score per absorbing element.

    Parameters
    ----------
    y_true, y_pred, elements, classes
        As for :func:`per_element_f1`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure's by default).
    title : str, optional
        Title of the axes; none when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One bar per absorbing element (sorted by atomic number), labelled with its
        symbol; the micro-averaged F1 over all samples is drawn as a dashed line.

    Examples
    --------
    >>> from sklearn_xas.plotting import plot_per_element_f1
    >>> ax = plot_per_element_f1([("Cl",), ("Na",)], [("Cl",), ("O",)], ["Na", "Cl"])
    >>> [t.get_text() for t in ax.get_xticklabels()], len(ax.patches)
    (['Na', 'Cl'], 2)
    """
    from sklearn.metrics import f1_score

    scores = per_element_f1(y_true, y_pred, elements, classes=classes)
    classes = _classes(y_true, y_pred, classes)
    overall = f1_score(_indicator(y_true, classes), _indicator(y_pred, classes),
                       average="micro", zero_division=0.0)
    if scores.empty:
        raise XASDataError("No sample to score.")
    ax = _new_axes(ax, (max(5.0, 0.22 * len(scores) + 1.5), 3.4))
    pos = np.arange(len(scores))
    colors = ["C0" if n >= 3 else "C7" for n in scores["n"]]
    ax.bar(pos, scores["f1"], color=colors, width=0.8)
    ax.axhline(overall, color="C3", ls="--", lw=1, label=f"all: F1 = {overall:.3f}")
    ax.set_xticks(pos, scores["element"], rotation=90, fontsize=7)
    ax.set_xlim(-0.6, len(scores) - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("neighbour-type F1 (micro)")
    ax.set_xlabel("absorbing element (grey: fewer than 3 test sites)")
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def plot_reliability(y_true, y_prob, *, n_bins=10, strategy="uniform", labels=None,
                     label=None, ax=None, title=None):
    """Reliability diagram: observed frequency against forecast probability.

    The points are those of :func:`sklearn_xas.metrics.reliability_curve`, sized by the
    number of forecasts in their bin; a calibrated model's points lie on the dashed
    diagonal. The legend entry carries the expected calibration error. Call it again
    with the same ``ax`` to compare models (each call adds one curve).

    Parameters
    ----------
    y_true, y_prob, n_bins, strategy, labels
        As for :func:`sklearn_xas.metrics.reliability_curve`: binary, multi-label
        (one forecast per entry) or multi-class (the top class's probability against
        whether it is the true class).
    label : str, optional
        Name of the curve in the legend, followed by its ECE.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure's by default).
    title : str, optional
        Title of the axes; none when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The diagonal is its first line (drawn once per axes); each call adds one line
        through the bins' points and one scatter collection of them.

    See Also
    --------
    sklearn_xas.metrics.expected_calibration_error : The number in the legend.

    Examples
    --------
    >>> from sklearn_xas.plotting import plot_reliability
    >>> ax = plot_reliability([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2, label="toy")
    >>> ax.lines[1].get_xydata().round(2).tolist()
    [[0.2, 0.0], [0.8, 1.0]]
    >>> ax.get_legend().get_texts()[0].get_text()
    'toy (ECE 0.20)'
    """
    options = dict(n_bins=n_bins, strategy=strategy, labels=labels)
    mean, frac, counts = reliability_curve(y_true, y_prob, **options)
    ece = expected_calibration_error(y_true, y_prob, **options)
    fresh = ax is None or not ax.lines
    ax = _new_axes(ax, (4.2, 4.0))
    if fresh:
        ax.plot([0, 1], [0, 1], color="0.5", lw=1, ls="--")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("forecast probability (bin mean)")
        ax.set_ylabel("observed frequency")
    name = f"{label} (ECE {ece:.2f})" if label else f"ECE {ece:.2f}"
    line, = ax.plot(mean, frac, lw=1.2, label=name)
    size = 12 + 60 * np.sqrt(counts / counts.max())
    ax.scatter(mean, frac, s=size, color=line.get_color(), edgecolor="none", alpha=0.8)
    ax.legend(fontsize=8, loc="upper left")
    if title:
        ax.set_title(title)
    return ax
