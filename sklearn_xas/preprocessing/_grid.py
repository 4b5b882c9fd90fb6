"""Grids shared by the preprocessing steps: parsing, feature names, quadrature weights."""

import re

import numpy as np

#: Feature-name prefixes: (what, axis) -> prefix.
PREFIXES = {"XANES": "mu_e", "EXAFS": "chi_k", "R": "chir_r"}
_NAME_RE = re.compile(r"^(mu_e|chi_k|chir_r)([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)$")


def resolve_grid(spec, *, name="grid", n_features=None):
    """Turn a grid specification into a strictly increasing 1-D float array.

    Parameters
    ----------
    spec : tuple or array-like
        ``(start, stop, num)``: ``numpy.linspace(start, stop, num)``. ``(start, stop)``:
        a uniform grid of ``n_features`` points (array-level steps only). A list or
        array: the grid values themselves.
    name : str
        Parameter name for error messages.
    n_features : int, optional
        Number of features seen in ``fit``; required by ``(start, stop)`` and checked
        against explicit grids.

    Returns
    -------
    grid : ndarray of shape (n_points,)
    """
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        try:
            start, stop = float(spec[0]), float(spec[1])
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name}: (start, stop[, num]) must be numbers, got {spec!r}."
            ) from exc
        if len(spec) == 3:
            num = spec[2]
            if isinstance(num, bool) or not float(num).is_integer() or num < 1:
                raise ValueError(
                    f"{name}=(start, stop, num) needs a positive integer num, got {num!r}. "
                    "Pass a list or array to give the grid values themselves."
                )
            num = int(num)
        elif n_features is None:
            raise ValueError(
                f"{name}=(start, stop) takes its number of points from the data's features, "
                "which this step does not have; give (start, stop, num) or the grid values."
            )
        else:
            num = int(n_features)
        if not (np.isfinite(start) and np.isfinite(stop)) or (num > 1 and stop <= start):
            raise ValueError(f"{name}: need finite start < stop, got {spec!r}.")
        grid = np.linspace(start, stop, num)
    else:
        grid = np.asarray(spec, dtype=np.float64)
        if grid.ndim != 1 or grid.size == 0:
            raise ValueError(
                f"{name} must be (start, stop, num) or a non-empty 1-D array of values, got "
                f"shape {grid.shape}."
            )
        if not np.isfinite(grid).all():
            raise ValueError(f"{name} holds non-finite values.")
        steps = np.diff(grid)
        if (steps <= 0).any():
            i = int(np.argmax(steps <= 0))
            raise ValueError(
                f"{name} must be strictly increasing, but {name}[{i}] = {grid[i]:g} and "
                f"{name}[{i + 1}] = {grid[i + 1]:g}."
            )
    if n_features is not None and grid.size != n_features:
        raise ValueError(
            f"{name} has {grid.size} points but X has {n_features} features; they must match "
            "(one feature per grid point)."
        )
    return grid


def _decimals(values, minimum):
    scale = max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
    for d in range(minimum, 7):
        if np.all(np.abs(np.round(values, d) - values) <= 1e-9 * scale):
            return d
    return 6


def grid_feature_names(grid, kind):
    """Feature names for values on ``grid``: ``mu_e-10.0``, ``chi_k3.05``, ``chir_r1.50``.

    Parameters
    ----------
    grid : ndarray of shape (n_points,)
    kind : {"XANES", "EXAFS", "R"}

    Returns
    -------
    names : ndarray of str, shape (n_points,)
    """
    prefix = PREFIXES[kind]
    grid = np.asarray(grid, dtype=np.float64)
    d = _decimals(grid, 1 if kind == "XANES" else 2)
    # "+ 0.0" turns a rounded -0.0 into 0.0
    names = [f"{prefix}{np.round(v, d) + 0.0:.{d}f}" for v in grid]
    return np.asarray(names, dtype=object)


def grid_from_feature_names(names, *, name, step):
    """Read a grid back from feature names made by :func:`grid_feature_names`.

    Raises a ValueError that tells the user to give the grid when the names are absent
    or are not of that form.
    """
    hint = (
        f"{step}: {name}=None takes the grid from the feature names of a pandas X (as "
        f"SpectrumResampler(...).set_output(transform='pandas') makes them, e.g. 'chi_k3.05'), "
    )
    if names is None:
        raise ValueError(hint + f"but X has no column names; pass {name} explicitly.")
    values = []
    for n in names:
        m = _NAME_RE.match(str(n))
        if m is None:
            raise ValueError(hint + f"but column {n!r} is not of that form; pass {name}.")
        values.append(float(m.group(2)))
    return resolve_grid(np.asarray(values), name=f"{name} (from the feature names)")


def trapezoid_weights(grid):
    """Quadrature weights ``w`` with ``w @ f == numpy.trapezoid(f, grid)``.

    A single point gets weight 1 (so that sums stay meaningful).
    """
    grid = np.asarray(grid, dtype=np.float64)
    if grid.size == 1:
        return np.ones(1)
    w = np.zeros_like(grid)
    d = np.diff(grid)
    w[:-1] += d / 2
    w[1:] += d / 2
    return w
