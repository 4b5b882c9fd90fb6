"""The figures of evaluated tasks: typical forward spectra, parity, per-element F1, CN."""

import numpy as np

from .._core import check_frame
from ..preprocessing import ChiFourierTransform, SpectrumResampler
from ._plots import plot_parity, plot_per_element_f1, plot_spectra


def plot_typical_spectra(grid, Y_true, Y_pred, frame, *, n=6, axis_labels=("x", "y")):
    """True and predicted spectra of sites of median error, of different absorbers.

    Parameters
    ----------
    grid : array-like of shape (n_points,)
        The common abscissa.
    Y_true, Y_pred : array-like of shape (n_spectra, n_points)
        True and predicted spectra.
    frame : pandas.DataFrame
        The rows of the spectra (``material_id``, ``absorbing_element``, ``edge``).
    n : int, default=6
        How many panels.
    axis_labels : tuple of str, default=("x", "y")
        Labels of the x and y axes.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_xas.plotting import plot_typical_spectra
    >>> frame = pd.DataFrame({"material_id": ["a", "b"], "absorbing_element": ["Cu", "O"],
    ...                       "edge": ["K", "K"]})
    >>> Y = np.ones((2, 5))
    >>> len(plot_typical_spectra(np.arange(5), Y, Y * 1.1, frame).axes)
    2
    """
    Y_true, Y_pred = np.asarray(Y_true), np.asarray(Y_pred)
    err = np.mean((Y_true - Y_pred) ** 2, axis=1)
    picked, seen = [], set()
    for i in np.argsort(np.abs(err - np.median(err))):
        el = frame["absorbing_element"].iloc[i]
        if el not in seen:
            picked.append(i)
            seen.add(el)
        if len(picked) == n:
            break
    titles = [f"{str(frame['material_id'].iloc[i]).removeprefix('proto-')} "
              f"{frame['absorbing_element'].iloc[i]} {frame['edge'].iloc[i]} "
              f"(MSE {err[i]:.2g})" for i in picked]
    fig = plot_spectra(grid, Y_true[picked], Y_pred[picked], titles=titles, max_panels=n,
                       xlabel=axis_labels[0], ylabel=axis_labels[1])
    fig.suptitle("Forward model on held-out materials: true (black) and predicted (red "
                 "dashed) spectra, sites of median error", fontsize=10)
    return fig


def plot_task_results(results, frame):
    """The figure of each evaluated task, named for saving.

    Parameters
    ----------
    results : dict
        Task name (``"spectrum"``, ``"nn-distance"``, ``"neighbor-types"``,
        ``"coordination-number"``) -> an object
        with ``prediction`` and ``truth`` (and, for ``"spectrum"``, ``model.grid`` and
        ``model.axis_labels``), as :func:`sklearn_xas.pretrained.fit_and_score` returns.
    frame : pandas.DataFrame
        The evaluated rows.

    Returns
    -------
    figures : list of (str, matplotlib.figure.Figure)
        File name and figure.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> from sklearn_xas.plotting import plot_task_results
    >>> r = SimpleNamespace(prediction=[2.0, 2.4], truth=[2.1, 2.3])
    >>> [name for name, _ in plot_task_results({"nn-distance": r}, pd.DataFrame())]
    ['nn_distance_parity.png']
    """
    figures = []
    if "spectrum" in results:
        r = results["spectrum"]
        figures.append(("spectra_true_vs_predicted.png", plot_typical_spectra(
            r.model.grid, r.truth, r.prediction, frame, axis_labels=r.model.axis_labels)))
    if "nn-distance" in results:
        r = results["nn-distance"]
        ax = plot_parity(r.truth, r.prediction, title="Mean NN distance, held-out materials")
        figures.append(("nn_distance_parity.png", ax.figure))
    if "neighbor-types" in results:
        r = results["neighbor-types"]
        ax = plot_per_element_f1(r.truth, r.prediction, frame["absorbing_element"],
                                 title="Neighbour-type F1 per absorbing element "
                                       "(held-out materials)")
        figures.append(("neighbor_type_f1_per_element.png", ax.figure))
    if "coordination-number" in results:
        from matplotlib.figure import Figure
        from sklearn.metrics import ConfusionMatrixDisplay

        r = results["coordination-number"]
        ax = Figure(figsize=(5.5, 4.5), layout="constrained").subplots()  # not pyplot's
        ConfusionMatrixDisplay.from_predictions(r.truth, r.prediction, colorbar=False, ax=ax)
        ax.set(xlabel="predicted coordination number",
               ylabel="coordination number of the structure",
               title="Coordination number, held-out materials")
        figures.append(("coordination_number_confusion.png", ax.figure))
    return figures


def plot_measured_chi(data, *, neighbors=None, k=(2.5, 11.0, 171), kweight=2, max_spectra=8):
    """k-weighted chi(k) and |chi(R)| of EXAFS rows, side by side, one line each.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        EXAFS rows (chi(k)); measured mu(E) can be turned into them with
        :func:`sklearn_xas.pretrained.to_chi`.
    neighbors : pandas.DataFrame, optional
        Spectra to draw beside them, dashed in the colour of the row they belong to:
        EXAFS rows with a ``query`` column (the position of that row in ``data``),
        such as :func:`sklearn_xas.pretrained.nearest_training_spectra` returns.
    k : tuple (start, stop, num), default=(2.5, 11.0, 171)
        The k grid (1/Angstrom) of both panels; spectra are extended with their end
        value where shorter.
    kweight : int, default=2
        Power of k.
    max_spectra : int, default=8
        Draw at most this many rows.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two Axes: ``k^kweight chi(k)`` and ``|chi(R)|``.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.plotting import plot_measured_chi
    >>> fig = plot_measured_chi(load_prototype_exafs(elements=["Cu"]))
    >>> len(fig.axes), len(fig.axes[0].lines) >= 1
    (2, True)
    """
    frame = check_frame(data, ("x", "y", "spectrum_type"), step="plot_measured_chi")
    frame = frame.iloc[:max_spectra]
    fig, (ax_k, ax_r) = _chi_panels(frame, k, kweight, lambda i: {"lw": 1, "color": f"C{i}"})
    if neighbors is not None:
        near = check_frame(neighbors, ("x", "y", "spectrum_type", "query"),
                           step="plot_measured_chi")
        near = near[near["query"].to_numpy() < len(frame)]
        queries = near["query"].to_numpy()
        if len(near):
            _chi_panels(near, k, kweight, lambda i: {"lw": 0.8, "ls": "--", "alpha": 0.7,
                                                     "color": f"C{queries[i]}"},
                        axes=(ax_k, ax_r), label=False)
            ax_k.plot([], [], "k--", lw=0.8, label="nearest training spectra")
    ax_k.legend(fontsize=7)
    return fig


def plot_first_shell_fit(k, chi, fit, *, kweight=2, title=None, axes=None):
    """A first-shell fit beside the spectrum it fits: k^w chi(k) and |chi(R)|.

    Parameters
    ----------
    k, chi : array-like of shape (n_points,)
        The fitted chi(k) (unweighted).
    fit : FirstShellFit
        What :func:`sklearn_xas.simulate.fit_first_shell` returned for it.
    kweight : int, default=2
        Power of k of both panels.
    title : str, optional
        Title; default names the path, distance and R-factor.
    axes : pair of matplotlib.axes.Axes, optional
        Draw on these (e.g. one row of a larger figure; the title goes on the first);
        default: a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two Axes: ``k^kweight chi(k)`` over the fit's k range, and ``|chi(R)|`` with
        the fitted R range shaded.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.plotting import plot_first_shell_fit
    >>> from sklearn_xas.simulate import FirstShellFit
    >>> k = np.arange(321) * 0.05
    >>> chi = np.sin(2 * 2.1 * k) * np.exp(-0.01 * k**2) / np.maximum(k, 1) ** 2
    >>> fit = FirstShellFit(neighbor="O", distance=2.10, distance_std=0.01, amplitude=5.1,
    ...                     sigma2=0.006, e0_shift=1.5, r_factor=0.01, n_independent=6.1,
    ...                     accepted=True, k_range=(3.0, 11.0), r_range=(1.2, 2.1),
    ...                     k=k, chi_fit=0.95 * chi)
    >>> fig = plot_first_shell_fit(k, chi, fit)
    >>> [len(ax.lines) for ax in fig.axes]
    [2, 2]
    """
    from matplotlib.figure import Figure

    kmin, kmax = fit.k_range
    grid = (kmin, kmax, int(round((kmax - kmin) / 0.05)) + 1)
    x = np.linspace(*grid[:2], grid[2])
    spectra = np.stack([np.interp(x, np.asarray(k, float), np.asarray(chi, float)),
                        np.interp(x, fit.k, fit.chi_fit)])
    ft = ChiFourierTransform(k=grid, kweight=kweight, kmin=kmin, kmax=kmax)
    mag = ft.fit_transform(spectra)
    if axes is None:
        axes = Figure(figsize=(10, 3.8), layout="constrained").subplots(1, 2)
    ax_k, ax_r = axes
    for spec, m, name, style in zip(spectra, mag, ["spectrum", f"fit: one {fit.neighbor} path"],
                                    [dict(color="k", lw=1), dict(color="C3", lw=1.2, ls="--")]):
        ax_k.plot(x, spec * x**kweight, label=name, **style)
        ax_r.plot(ft.r_, m, **style)
    ax_r.axvspan(*fit.r_range, color="C3", alpha=0.1, label="fitted R range")
    ax_r.set_xlim(0, 6)
    ax_k.set(xlabel="k (1/Å)", ylabel=f"k^{kweight} χ(k)")
    ax_r.set(xlabel="R (Å), not phase-corrected", ylabel="|χ(R)|")
    ax_k.legend(fontsize=8)
    ax_r.legend(fontsize=8)
    text = title or (f"{fit.neighbor} at {fit.distance:.3f} ± {fit.distance_std:.3f} Å, "
                     f"N S0² {fit.amplitude:.1f}, σ² {fit.sigma2:.4f} Å², R-factor "
                     f"{fit.r_factor:.3f}" + ("" if fit.accepted else " (not accepted)"))
    ax_k.set_title(text, fontsize=9, loc="left")
    return ax_k.figure


def plot_first_shell_fits(data, fits, *, kweight=2, max_rows=8):
    """:func:`plot_first_shell_fit` for each fitted row of ``data``, one row of panels each.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        The EXAFS rows (chi(k)) that were fitted.
    fits : list of FirstShellFit or None
        One per row of ``data`` (``None``: not fitted, not drawn), as
        ``describe_sites(data, return_fits=True)`` returns them.
    kweight : int, default=2
        Power of k.
    max_rows : int, default=8
        Draw at most this many fits.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two Axes per fitted row, titled with the row's material, edge and fit.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.plotting import plot_first_shell_fits
    >>> from sklearn_xas.simulate import FirstShellFit
    >>> data = load_prototype_exafs(elements=["Cu"])[:2]
    >>> fit = FirstShellFit(neighbor="Cu", distance=2.55, distance_std=0.01, amplitude=10.,
    ...                     sigma2=0.008, e0_shift=1.0, r_factor=0.01, n_independent=6.,
    ...                     accepted=True, k_range=(3.0, 11.0), r_range=(1.6, 2.7),
    ...                     k=data.frame["x"].iloc[0], chi_fit=data.frame["y"].iloc[0])
    >>> len(plot_first_shell_fits(data, [fit, None]).axes)
    2
    """
    from matplotlib.figure import Figure

    frame = check_frame(data, ("x", "y"), step="plot_first_shell_fits")
    if len(fits) != len(frame):
        raise ValueError(f"{len(fits)} fits for {len(frame)} rows: give one per row.")
    rows = [i for i, f in enumerate(fits) if f is not None][:max_rows]
    if not rows:
        raise ValueError("No row has a fit to draw.")
    fig = Figure(figsize=(10, 3.4 * len(rows)), layout="constrained")
    for ax, i in zip(fig.subplots(len(rows), 2, squeeze=False), rows):
        f, row = fits[i], frame.iloc[i]
        name = (f"{row.get('material_id', i)} ({row.get('absorbing_element', '?')} "
                f"{row.get('edge', '')}): {f.neighbor} at {f.distance:.3f} Å, R-factor "
                f"{f.r_factor:.3f}" + ("" if f.accepted else ", not accepted"))
        plot_first_shell_fit(row["x"], row["y"], f, kweight=kweight, title=name, axes=ax)
    return fig


def _chi_panels(frame, k, kweight, style, *, axes=None, label=True):
    """k^w chi(k) and |chi(R)| of each row on (new or given) two Axes."""
    from matplotlib.figure import Figure

    chi = SpectrumResampler(grid=k, outside="edge", kind="EXAFS").fit_transform(frame)
    grid = np.linspace(*k[:2], int(k[2]))
    ft = ChiFourierTransform(k=k, kweight=kweight, kmin=k[0], kmax=k[1])
    mag = ft.fit_transform(chi)
    if axes is None:
        fig = Figure(figsize=(10, 3.8), layout="constrained")
        axes = fig.subplots(1, 2)
    ax_k, ax_r = axes
    for i, (row, spec) in enumerate(zip(frame.itertuples(), chi)):
        name = f"{row.material_id} ({row.absorbing_element} {row.edge})" if label else None
        ax_k.plot(grid, spec * grid**kweight, label=name, **style(i))
        ax_r.plot(ft.r_, mag[i], **style(i))
    ax_k.set_xlabel("k (1/Å)")
    ax_k.set_ylabel(f"k^{kweight} χ(k)")
    ax_r.set_xlabel("R (Å), not phase-corrected")
    ax_r.set_ylabel("|χ(R)|")
    return ax_k.figure, axes
