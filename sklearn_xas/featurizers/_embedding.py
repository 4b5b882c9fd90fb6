"""Absorbing-site embeddings from the pretrained CHGNet universal potential."""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils import resolve_device
from ._base import _portable, _SiteFeaturizerBase, check_layers, one_cpu_thread

#: Width of CHGNet's atom features.
CHGNET_FEATURE_DIM = 64

_MODELS: dict = {}
_MODELS_LOCK = threading.Lock()


def _load_chgnet(model_name, device):
    """The pretrained CHGNet (from the weights in the wheel), once per process and device."""
    key = (model_name, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            from chgnet.model import CHGNet  # a core dependency; loads torch when used

            with contextlib.redirect_stdout(io.StringIO()):
                model = CHGNet.load(
                    model_name=model_name, use_device=device, verbose=False
                )
            model.eval()
            _MODELS[key] = (model, threading.Lock())
        return _MODELS[key]


def _n_conv(model):
    return len(model.atom_conv_layers)


def _layer_modules(model):
    """Module whose output is layer k: 0 the element embedding, k the k-th conv layer.

    The last layer is taken after the readout normalisation, where the model has one.
    """
    modules = [model.atom_embedding, *model.atom_conv_layers]
    if getattr(model, "readout_norm", None) is not None:
        modules[-1] = model.readout_norm
    return modules


class CHGNetSiteEmbedder(_SiteFeaturizerBase):
    """The absorbing site's learned embedding from the pretrained CHGNet potential.

    CHGNet (Deng et al., 2023), a graph neural network potential pretrained on the
    Materials Project trajectories, describes every atom by a 64-value feature
    vector after each message-passing layer. These vectors, taken at the absorbing
    site, are strong descriptors for spectra (in the spirit of OmniXAS's M3GNet
    features). The weights ship inside the ``chgnet`` wheel: nothing is downloaded.

    Each distinct structure goes through the model once for all its absorbing
    sites, structures are batched, and results are cached.

    Parameters
    ----------
    model_name : {"0.3.0", "0.2.0", "r2scan"}, default="0.3.0"
        Which pretrained CHGNet checkpoint of the wheel.
    layer : int or tuple of int, default=3
        Which atom features: 0 is the element embedding (no structure), ``k`` the
        output of the ``k``-th of the 4 message-passing layers (4 being after the
        readout normalisation). The default, 3, is what CHGNet's
        ``return_atom_feas=True`` gives. A tuple concatenates several layers
        (64 features each); all layers come from one forward pass, so this costs
        nothing extra.
    batch_size : int, default=16
        Structures per forward pass.
    device : str, default="auto"
        Torch device (``"auto"``: CUDA when available, else CPU).
    n_jobs : int, default=None
        Parallel joblib jobs over batches of structures (each worker process loads
        the model once). Useful for the CPU-bound graph construction on a
        many-core CPU or a dask cluster; keep ``None`` on a GPU.
    on_error : {"raise", "nan"}, default="raise"
        What to do with a row that cannot be featurized (no site at the index,
        another element than declared, a structure CHGNet cannot build a graph for,
        e.g. with an isolated atom): ``"raise"`` an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the row, or ``"nan"``:
        make the row NaN and warn listing the rows.
    cache : bool or path-like, default=True
        Keep each site's embeddings (all layers) in a process-wide in-memory store
        keyed by the structure's content, so refits, CV folds and other ``layer``
        choices reuse them; a folder path also keeps them on disk across sessions.
        See :func:`clear_feature_cache`.
    progress : bool or None, default=None
        Show a progress bar over batches (``None``: when stderr is a terminal and
        there are more than 100 batches).

    Attributes
    ----------
    layers_ : tuple of int
        The layers returned, non-negative.
    feature_names_out_ : ndarray of str
        ``"chgnet_l<layer>_<j>"``.

    Notes
    -----
    The model is loaded lazily, once per process and device, into a module-level
    store: it is never an attribute of the estimator, so pickling or cloning the
    estimator does not carry the model's weights. On the CPU its forward passes run
    on one torch thread (22 against 15 ms per Cu site with two threads on an idle
    2-core machine, 24 against 168 ms while another process holds a core); use
    ``n_jobs`` for several cores.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.featurizers import CHGNetSiteEmbedder
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> emb = CHGNetSiteEmbedder(device="cpu")
    >>> emb.fit_transform([(nacl, 0), (nacl, 4)]).shape
    (2, 64)
    """

    _parameter_constraints: dict = {
        "model_name": [StrOptions({"0.3.0", "0.2.0", "r2scan"})],
        "layer": [Integral, tuple, list],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "n_jobs": [None, Integral],
        "on_error": [StrOptions({"raise", "nan"})],
        "cache": ["boolean", str, os.PathLike],
        "progress": ["boolean", None],
    }

    _chunk_unit = "batch"

    def __init__(
        self,
        *,
        model_name="0.3.0",
        layer=3,
        batch_size=16,
        device="auto",
        n_jobs=None,
        on_error="raise",
        cache=True,
        progress=None,
    ):
        self.model_name = model_name
        self.layer = layer
        self.batch_size = batch_size
        self.device = device
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.cache = cache
        self.progress = progress

    def _fit(self, frame):
        model, _ = _load_chgnet(self.model_name, resolve_device(self.device))
        n_layers = _n_conv(model) + 1
        self.layers_ = check_layers(self.layer, n_layers, type(self).__name__)
        self._n_layers = n_layers
        self.feature_names_out_ = np.asarray(
            [f"chgnet_l{k}_{j}" for k in self.layers_ for j in range(CHGNET_FEATURE_DIM)],
            dtype=object,
        )

    def _chunk_size(self):
        return self.batch_size

    def _cache_token(self):
        import chgnet

        return f"CHGNetSiteEmbedder:chgnet-{chgnet.__version__}:{self.model_name}:all-layers"

    def _computed_names(self):
        # The cache holds all layers; the requested ones are selected afterwards.
        return [f"l{k}_{j}" for k in range(self._n_layers) for j in range(CHGNET_FEATURE_DIM)]

    def _select_columns(self, out):
        dim = CHGNET_FEATURE_DIM
        return np.hstack([out[:, k * dim : (k + 1) * dim] for k in self.layers_])

    def _forward(self, model, graphs):
        """All layers' atom features for each graph: list of (n_atoms, n_layers * 64)."""
        import torch

        captured = []
        hooks = [
            m.register_forward_hook(lambda _m, _i, out, k=k: captured.append((k, out)))
            for k, m in enumerate(_layer_modules(model))
        ]
        try:
            device = next(model.parameters()).device
            with torch.no_grad(), warnings.catch_warnings(), one_cpu_thread(device):
                # CHGNet's batching converts a tensor in a way torch warns about.
                warnings.filterwarnings("ignore", category=UserWarning, module="chgnet")
                model([g.to(device) for g in graphs], task="e")
        finally:
            for h in hooks:
                h.remove()
        by_layer = {}
        for k, out in captured:
            by_layer[k] = out  # the last call of each module is its layer output
        stacked = torch.cat([by_layer[k] for k in range(len(by_layer))], dim=1)
        stacked = stacked.detach().to("cpu", torch.float64).numpy()
        sizes = [int(g.atomic_number.shape[0]) for g in graphs]
        return np.split(stacked, np.cumsum(sizes)[:-1])

    def _compute_groups(self, groups):
        model, lock = _load_chgnet(self.model_name, resolve_device(self.device))
        results = [None] * len(groups)
        graphs, where = [], []
        for g, (structure, indices) in enumerate(groups):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    graphs.append(model.graph_converter(structure))
                where.append(g)
            except Exception as exc:
                err = (f"CHGNet graph construction failed: {type(exc).__name__}: {exc}",
                       _portable(exc))
                results[g] = (None, {i: err for i in range(len(indices))})
        if graphs:
            with lock:
                try:
                    feats = self._forward(model, graphs)
                except Exception:
                    feats = None
                if feats is None:  # find the culprit(s) one structure at a time
                    feats = []
                    for graph in graphs:
                        try:
                            feats.append(self._forward(model, [graph])[0])
                        except Exception as exc:
                            feats.append(exc)
            for g, f in zip(where, feats):
                indices = groups[g][1]
                if isinstance(f, Exception):
                    err = (f"CHGNet forward pass failed: {type(f).__name__}: {f}", _portable(f))
                    results[g] = (None, {i: err for i in range(len(indices))})
                else:
                    results[g] = (f[np.asarray(indices)], {})
        return results
