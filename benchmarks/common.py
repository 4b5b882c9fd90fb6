"""Shared machinery of the asv suite, in the shape of scikit-learn's ``asv_benchmarks``.

* :class:`Benchmark`: timer and repetition settings, and the one ``setup_cache`` that
  every benchmark class inherits. asv keys ``setup_cache`` by its source location, so
  the data below is built **once per run** for the whole suite, then handed (pickled) to
  every benchmark's ``setup`` as its first argument.
* :class:`Estimator`, :class:`Predictor`, :class:`Transformer`, :class:`Tracker`: mixins
  giving ``time_``/``peakmem_``/``track_`` methods to a concrete class that says how to
  make its data and its estimator.

The data are small material-disjoint subsets of the real trees in ``../shared/data``
(Cu K-edge FEFF9 XANES, ``omnixas-cu-feff-xanes.tar.gz``; multi-element FEFF6L EXAFS,
``feff6l-exafs-mp.tar.gz``). Without the shared data the EXAFS benchmarks fall back to
the bundled prototype set; a benchmark whose data is absent raises ``NotImplementedError``
in ``setup``, which asv reports as skipped. So are the ``device="cuda"`` cases on a
machine without a GPU.

Sizes are chosen so that ``asv run -E existing:same --quick`` finishes in a few minutes
on two cores. Set ``SKLEARN_XAS_BENCH_SCALE`` (default 1) to multiply them.
"""

import os
import pickle
import tempfile
import timeit
import warnings
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

# Imported here, once: asv's forkserver imports the suite before forking a process per
# benchmark, so these imports are not paid by every benchmark.
import sklearn_xas.estimators  # noqa: F401
import sklearn_xas.featurizers  # noqa: F401
import sklearn_xas.preprocessing  # noqa: F401
import sklearn_xas.targets  # noqa: F401
from sklearn_xas.datasets import load_feff_tree
from sklearn_xas.utils._shared_data import shared_archive

CU_ARCHIVE = "omnixas-cu-feff-xanes.tar.gz"
EXAFS_ARCHIVE = "feff6l-exafs-mp.tar.gz"

#: Multiplies every data size (materials loaded, sites used).
SCALE = float(os.environ.get("SKLEARN_XAS_BENCH_SCALE", "1"))
#: Materials read from each shared tree (Cu XANES: ~2.2 sites each; EXAFS: ~5.4).
N_MATERIALS = {"xanes": int(80 * SCALE), "exafs": int(40 * SCALE)}
#: The data-size parameter of the benchmarks: number of site spectra (or sites).
N_SITES = [int(50 * SCALE), int(150 * SCALE)]
#: Fraction of the materials held out for the ``track_`` (accuracy) methods.
TEST_SIZE = 0.25
RANDOM_STATE = 0


# ----------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------
def _pick_materials(root, n_materials, marker, seed=RANDOM_STATE):
    """``n_materials`` material folders of ``root`` holding a spectrum file ``marker``.

    Drawn at random but reproducibly (a fixed seed), sorted by name.
    """
    materials = sorted(
        p for p in Path(root).iterdir()
        if p.is_dir() and next(p.glob(f"FEFF-*/*/{marker}"), None) is not None
    )
    rng = np.random.default_rng(seed)
    take = rng.choice(len(materials), size=min(n_materials, len(materials)), replace=False)
    return [materials[i] for i in sorted(take)]


def link_materials(archive, n_materials, marker, dest):
    """Fill ``dest`` with symlinks to ``n_materials`` material folders of a shared tree.

    Returns ``dest``, or ``None`` when the shared tree is absent. Nothing is copied.
    """
    root = shared_archive(archive)
    if root is None:
        return None
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for material in _pick_materials(root, n_materials, marker):
        link = dest / material.name
        if not link.exists():
            link.symlink_to(material, target_is_directory=True)
    return dest


def _load_shared(archive, n_materials, marker):
    """Read ``n_materials`` materials of a shared tree (``None`` when it is absent).

    The reader sees a temporary folder of symlinks to the chosen material folders,
    removed once read.
    """
    with tempfile.TemporaryDirectory(prefix="sklearn-xas-bench-") as tmp:
        if link_materials(archive, n_materials, marker, tmp) is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_feff_tree(tmp, progress=False).frame


def _load_prototype(kind="EXAFS"):
    try:
        from sklearn_xas.datasets import load_prototype_exafs, load_prototype_xanes
    except ImportError:  # a commit before the bundled XANES set
        return None
    return (load_prototype_xanes if kind == "XANES" else load_prototype_exafs)().frame


def load_data():
    """Build the suite's data: ``{"xanes": frame|None, "exafs": frame|None, ...}``.

    Each frame is a material-disjoint subset of real site spectra; ``"exafs_origin"``
    says whether the EXAFS frame comes from the shared tree or the bundled prototype set.
    """
    data = {"xanes": _load_shared(CU_ARCHIVE, N_MATERIALS["xanes"], "xmu.dat")}
    exafs = _load_shared(EXAFS_ARCHIVE, N_MATERIALS["exafs"], "chi.dat")
    origin = "shared"
    if exafs is None:
        exafs, origin = _load_prototype(), "prototype"
    data["exafs"] = exafs
    data["exafs_origin"] = origin if exafs is not None else None
    data["xanes_multi"] = _load_prototype("XANES")
    return data


#: The grid of the forward task: OmniXAS's Cu K-edge grid (absolute energy, eV).
FORWARD_GRID = (8983.173, 9018.173, 141)
#: The inverse tasks' k grid (1/Angstrom).
K_GRID = (3.0, 12.0, 181)


def _split_indices(frame, test_size=TEST_SIZE, random_state=RANDOM_STATE):
    from sklearn.model_selection import GroupShuffleSplit

    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    return next(splitter.split(frame, groups=frame["material_id"].to_numpy()))


def make_tasks(data):
    """The estimators' arrays, split by material: ``{task: (X, y, X_test, y_test)}``.

    ``"forward"`` (Cu XANES): site features (:class:`AbsorberRDFFeaturizer`) -> the
    spectrum on the OmniXAS grid. ``"forward_multi"``/``"distance_xanes_multi"`` (the
    bundled FEFF10 XANES of 77 absorbing elements): the same features -> the
    edge-step normalised spectrum on E - E0 (the forward recipe's target), and that
    spectrum plus the absorber's element encoding -> the mean NN distance (cutoff
    first shell). ``"types"``/``"distance"`` (multi-element EXAFS):
    k^2-weighted chi(k) on a common k grid followed by the absorber's element encoding
    -> the neighbour types (multi-label indicator) / the mean nearest-neighbour
    distance (Angstrom), from pymatgen's CrystalNN.
    """
    from sklearn.preprocessing import MultiLabelBinarizer

    from sklearn_xas.featurizers import AbsorberElementEncoder, AbsorberRDFFeaturizer
    from sklearn_xas.preprocessing import SpectrumResampler
    from sklearn_xas.targets import compute_targets

    tasks = {}
    xanes = data.get("xanes")
    if xanes is not None:
        train, test = _split_indices(xanes)
        X = AbsorberRDFFeaturizer().fit_transform(xanes)
        Y = SpectrumResampler(grid=FORWARD_GRID, outside="edge").fit_transform(xanes)
        tasks["forward"] = (X[train], Y[train], X[test], Y[test])
    multi = data.get("xanes_multi")
    if multi is not None:
        from sklearn_xas.pipelines import xanes_branch

        train, test = _split_indices(multi)
        X = AbsorberRDFFeaturizer().fit_transform(multi)
        Y = xanes_branch().fit_transform(multi)
        tasks["forward_multi"] = (X[train], Y[train], X[test], Y[test])
        targets = compute_targets(multi, targets=("mean_nn_distance",), method="cutoff",
                                  progress=False)["mean_nn_distance"].to_numpy(dtype=float)
        F = np.hstack([Y, AbsorberElementEncoder().fit_transform(multi)])
        tasks["distance_xanes_multi"] = (F[train], targets[train], F[test], targets[test])
    exafs = data.get("exafs")
    if exafs is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            targets = compute_targets(
                exafs, targets=("neighbor_types", "mean_nn_distance"), on_error="nan",
                progress=False,
            )
        known = targets["mean_nn_distance"].notna().to_numpy()
        exafs, targets = exafs[known].reset_index(drop=True), targets[known]
        train, test = _split_indices(exafs)
        resampler = SpectrumResampler(grid=K_GRID)
        chi = resampler.fit_transform(exafs) * resampler.grid_**2
        X = np.hstack([chi, AbsorberElementEncoder().fit_transform(exafs)])
        types = MultiLabelBinarizer().fit_transform(targets["neighbor_types"])
        distance = targets["mean_nn_distance"].to_numpy(dtype=float)
        tasks["types"] = (X[train], types[train], X[test], types[test])
        tasks["distance"] = (X[train], distance[train], X[test], distance[test])
    return tasks


def get_task(cache, task):
    """The cached arrays of ``task``; skip the benchmark if its data is absent."""
    arrays = (cache or {}).get("tasks", {}).get(task)
    if arrays is None:
        raise NotImplementedError(
            f"no data for the {task!r} task: put the shared data at ../shared/data (or set "
            "$SKLEARN_XAS_SHARED_DATA) to run this benchmark."
        )
    return arrays


def get_frame(cache, kind):
    """The cached frame of ``kind`` ("xanes" or "exafs"); skip the benchmark if absent."""
    frame = cache.get(kind) if cache else None
    if frame is None:
        raise NotImplementedError(
            f"no {kind.upper()} data: put the shared data at ../shared/data (or set "
            "$SKLEARN_XAS_SHARED_DATA) to run this benchmark."
        )
    return frame


def head_sites(frame, n_sites):
    """The first ``n_sites`` rows of ``frame`` (all of them if it has fewer)."""
    return frame.iloc[:n_sites].reset_index(drop=True)


def warm_workers(n_jobs, module="sklearn_xas"):
    """Start joblib's worker processes and import ``module`` in each.

    Called in ``setup`` so that ``n_jobs`` > 1 timings measure the work, not starting
    the workers and importing the library in them (a one-off cost of a session).
    """
    if n_jobs in (None, 1):
        return
    from joblib import Parallel, delayed

    # exec: a builtin, so the workers need not import this module (not on their path).
    Parallel(n_jobs=n_jobs)(delayed(exec)(f"import {module}") for _ in range(4 * n_jobs))


def check_device(device):
    """Skip (``NotImplementedError``) a ``device="cuda"`` case when no GPU is present."""
    if str(device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise NotImplementedError("CUDA is not available on this machine.")


# ----------------------------------------------------------------------------------------
# Mixins
# ----------------------------------------------------------------------------------------
class Benchmark(ABC):
    """Settings shared by every benchmark, and the suite's one ``setup_cache``."""

    timer = timeit.default_timer  # wall time, as scikit-learn's suite
    processes = 1
    timeout = 500
    number = 1
    repeat = (1, 3, 20.0)
    warmup_time = 0.0

    @property
    @abstractmethod
    def params(self):
        """The benchmark's parameter grid (a class attribute in concrete classes)."""

    def setup_cache(self):
        """Load the real data once for the whole suite (:func:`load_data`, :func:`make_tasks`)."""
        data = load_data()
        data["tasks"] = make_tasks(data)
        return data

    # setup_cache reads several hundred structures and spectra.
    setup_cache.timeout = 900


class Estimator(ABC):
    """``time_fit``/``peakmem_fit`` of the estimator of :meth:`make_estimator`.

    Concrete classes define ``make_data(cache, params)`` returning
    ``(X_train, y_train, X_test, y_test)`` and ``make_estimator(params)``. The fitted
    estimator is memoised on disk, in the run's temporary ``setup_cache`` folder (asv
    runs benchmarks there), so the predict and track benchmarks fit it only once.
    """

    @abstractmethod
    def make_data(self, cache, params):
        """Return ``X_train, y_train, X_test, y_test``."""

    @abstractmethod
    def make_estimator(self, params):
        """Return an unfitted estimator."""

    def setup(self, cache, *params):
        self.X, self.y, self.X_test, self.y_test = self.make_data(cache, params)
        path = Path(f"fitted-{type(self).__module__}-{type(self).__name__}-{params}.pkl")
        if path.is_file():
            with path.open("rb") as f:
                self.estimator = pickle.load(f)
        else:
            self.estimator = self.make_estimator(params).fit(self.X, self.y)
            with path.open("wb") as f:
                pickle.dump(self.estimator, f)

    def time_fit(self, cache, *params):
        self.make_estimator(params).fit(self.X, self.y)

    def peakmem_fit(self, cache, *params):
        self.make_estimator(params).fit(self.X, self.y)


class Predictor(ABC):
    """``time_predict`` on the held-out materials."""

    @abstractmethod
    def make_estimator(self, params):
        """Return an unfitted estimator (abstract here so that asv skips the mixin)."""

    def time_predict(self, cache, *params):
        self.estimator.predict(self.X_test)


class Transformer(ABC):
    """``time_transform``/``peakmem_transform`` on the held-out materials."""

    @abstractmethod
    def make_estimator(self, params):
        """Return an unfitted transformer (abstract here so that asv skips the mixin)."""

    def time_transform(self, cache, *params):
        self.estimator.transform(self.X_test)

    def peakmem_transform(self, cache, *params):
        self.estimator.transform(self.X_test)


class Tracker(ABC):
    """``track_test_score``: the class's accuracy metric on the held-out materials.

    Concrete classes define ``metric(y_true, y_pred)`` and the attribute ``unit``.
    """

    @abstractmethod
    def metric(self, y_true, y_pred):
        """The accuracy metric (higher or lower is better: see the class)."""

    def track_test_score(self, cache, *params):
        return float(self.metric(self.y_test, self.estimator.predict(self.X_test)))
