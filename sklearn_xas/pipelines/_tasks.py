"""The tasks of sklearn-xas by name, as the command line and saved models use them."""

import warnings

import numpy as np

from ..featurizers import AbsorberRDFFeaturizer
from ..targets import compute_targets
from ._recipes import (
    exafs_branch,
    make_coordination_pipeline,
    make_neighbor_type_pipeline,
    make_nn_distance_pipeline,
    make_spectrum_pipeline,
    xanes_branch,
)

#: The tasks: the target column each learns (None: the spectrum itself) and a title.
TASKS = {
    "spectrum": dict(target=None, title="forward: structure -> spectrum"),
    "neighbor-types": dict(target="neighbor_types",
                           title="inverse: spectrum -> neighbour element types"),
    "nn-distance": dict(target="mean_nn_distance",
                        title="inverse: spectrum -> mean NN distance"),
    "coordination-number": dict(target="coordination_number",
                                title="inverse: spectrum -> coordination number"),
}


def _check_task(task):
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}.")


def _set_matching(model, suffix, value):
    """Set every parameter named ``suffix`` (at any depth) that the model has."""
    if value is None:
        return
    keys = [k for k in model.get_params(deep=True) if k == suffix or k.endswith("__" + suffix)]
    if keys:
        model.set_params(**dict.fromkeys(keys, value))


def check_featurizer(featurizer):
    """``featurizer`` of :func:`make_task_pipeline`, checked; the deprecated ``"chgnet"``
    becomes ``"pretrained"`` with a :class:`FutureWarning`."""
    if featurizer == "chgnet":
        warnings.warn("featurizer='chgnet' is deprecated since 0.2 and is removed in 0.4: "
                      "it is the recipe's pretrained embeddings (CHGNet and SevenNet-0), "
                      "now named featurizer='pretrained'.", FutureWarning, stacklevel=3)
        return "pretrained"
    if featurizer not in ("rdf", "pretrained"):
        raise ValueError(f"featurizer must be 'rdf' or 'pretrained', got {featurizer!r}.")
    return featurizer


def make_task_pipeline(task, *, spectrum_type="EXAFS", featurizer="rdf", n_jobs=None,
                       device=None, random_state=0, quick=False):
    """The recipe of a task by name, with shared settings set on every step that has them.

    Parameters
    ----------
    task : {"spectrum", "neighbor-types", "nn-distance", "coordination-number"}
        Which recipe.
    spectrum_type : {"XANES", "EXAFS"}, default="EXAFS"
        The kind of spectra (the inverse recipes take only that kind).
    featurizer : {"rdf", "pretrained"}, default="rdf"
        Forward recipe only: the fast radial-distribution featurizer of the absorbing
        site, or the recipe's default, the pretrained CHGNet and SevenNet-0 embeddings
        beside the radial distribution (better on real structures, slower on CPU).

        .. deprecated:: 0.2
           ``"chgnet"``, the earlier name of ``"pretrained"`` (from before SevenNet
           joined the recipe), is removed in 0.4.
    n_jobs, device, random_state : optional
        Set on every step that has such a parameter (``None`` leaves the default).
    quick : bool, default=False
        Shorter training (30 epochs, 100 boosting rounds, 50 trees): a smoke test.

    Returns
    -------
    model : Pipeline

    Examples
    --------
    >>> from sklearn_xas.pipelines import make_task_pipeline
    >>> pipe = make_task_pipeline("nn-distance", quick=True, n_jobs=1)
    >>> pipe.steps[-1][1].n_estimators
    50
    """
    _check_task(task)
    featurizer = check_featurizer(featurizer)
    if task == "spectrum":
        feat = AbsorberRDFFeaturizer() if featurizer == "rdf" else None
        model = make_spectrum_pipeline(featurizer=feat)
    elif task == "neighbor-types":
        model = make_neighbor_type_pipeline(kind=spectrum_type)
    elif task == "coordination-number":
        model = make_coordination_pipeline(kind=spectrum_type)
    else:
        model = make_nn_distance_pipeline(kind=spectrum_type)
    _set_matching(model, "n_jobs", n_jobs)
    _set_matching(model, "device", device)
    _set_matching(model, "random_state", random_state)
    if quick:
        _set_matching(model, "max_epochs", 30)
        _set_matching(model, "max_iter", 100)
        _set_matching(model, "n_estimators", 50)
    return model


def spectrum_target_branch(kind, space="r"):
    """The preprocessing that makes the forward task's ``y`` from a frame.

    The same steps the inverse recipes read spectra with. EXAFS, ``space="r"``: the
    magnitude |chi(R)| of the Fourier transform of k^2 chi(k) (k 3 to 14 1/A, R 0 to
    6 A), whose peaks follow the shells of neighbours; ``space="k"``: k^2 chi(k) on
    k = 3 to 14 1/A, whose phase a model must get right to the hundredth of an
    Angstrom to beat the mean spectrum. XANES: edge-step normalised mu on E - E0.

    Parameters
    ----------
    kind : {"XANES", "EXAFS"}
        The spectra of the frame.
    space : {"r", "k"}, default="r"
        EXAFS only: |chi(R)| or k^2 chi(k).

    Returns
    -------
    branch : Pipeline
        Unfitted; ``fit_transform(frame)`` gives ``y``.

    Examples
    --------
    >>> from sklearn_xas.pipelines import spectrum_target_branch
    >>> [name for name, _ in spectrum_target_branch("EXAFS").steps]
    ['resample', 'fourier']
    """
    if space not in ("r", "k"):
        raise ValueError(f"space must be 'r' or 'k', got {space!r}.")
    if kind == "EXAFS":
        return exafs_branch(features=space, kweight=2)
    return xanes_branch()


def target_axis(branch):
    """The abscissa of a fitted :func:`spectrum_target_branch` and its axis labels.

    Parameters
    ----------
    branch : Pipeline
        A fitted :func:`spectrum_target_branch`.

    Returns
    -------
    grid : ndarray
    xlabel, ylabel : str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pipelines import spectrum_target_branch, target_axis
    >>> data = load_prototype_exafs(elements=["Na", "Cl"])
    >>> grid, xlabel, _ = target_axis(spectrum_target_branch("EXAFS").fit(data.frame))
    >>> xlabel, float(np.round(grid.max(), 1))
    ('R (Å)', 6.0)
    """
    last = branch.steps[-1][1]
    if hasattr(last, "r_"):
        return np.asarray(last.r_), "R (Å)", "|χ(R)| of k²χ(k) (Å⁻³)"
    resample = branch.named_steps["resample"]
    grid = np.asarray(resample.grid_)
    if getattr(resample, "kind", None) == "EXAFS":
        return grid, "k (1/Å)", "k²χ(k) (Å⁻²)"
    return grid, "E - E0 (eV)", "normalised μ(E)"


def task_targets(data, task, *, method="crystalnn", n_jobs=None, progress=None):
    """The target of ``task`` for every row, from the structures.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        Rows with structures.
    task : {"neighbor-types", "nn-distance", "coordination-number"}
        An inverse task.
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        Neighbour finding (see :func:`~sklearn_xas.targets.compute_targets`).
    n_jobs : int or None, default=None
        Workers over structures.
    progress : bool or None, default=None
        Show a progress bar (``None``: on a terminal).

    Returns
    -------
    y : list of tuple (neighbour types), ndarray of float (distances) or of int
        (coordination numbers)

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pipelines import task_targets
    >>> data = load_prototype_exafs(elements=["Na", "Cl"], prototypes="rocksalt")
    >>> task_targets(data, "neighbor-types", method="cutoff")
    [('Na',), ('Cl',)]
    """
    _check_task(task)
    column = TASKS[task]["target"]
    if column is None:
        raise ValueError("The forward task's target is the spectrum itself.")
    y = compute_targets(data, targets=(column,), method=method, n_jobs=n_jobs,
                        progress=progress)[column]
    if task == "neighbor-types":
        return list(y)
    return y.to_numpy(dtype=int if task == "coordination-number" else float)
