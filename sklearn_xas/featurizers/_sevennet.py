"""Absorbing-site embeddings from the pretrained SevenNet equivariant potential."""

from __future__ import annotations

import os
import threading
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils import resolve_device
from ._base import _portable, _SiteFeaturizerBase, check_layers, one_cpu_thread

#: The SevenNet checkpoints that ship inside the ``sevenn`` wheel (nothing is downloaded)
#: and carry one model for every element they know.
SEVENNET_MODELS = ("7net-0", "7net-l3i5")
#: Interaction blocks of those checkpoints.
SEVENNET_BLOCKS = 5

_MODELS: dict = {}
_MODELS_LOCK = threading.Lock()


def _load_sevennet(model_name, device):
    """The pretrained SevenNet (weights from the wheel), once per process and device."""
    key = (model_name, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            with warnings.catch_warnings():
                # on import, torch warns that the torch.jit.script sevenn uses is
                # deprecated; then that no tensor-product accelerator (CUDA) is enabled
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                from sevenn.calculator import SevenNetCalculator  # a core dependency

                calc = SevenNetCalculator(model_name, device=device)
            model = calc.model.eval()
            names = list(model._modules)
            blocks = [n for n in names if n.endswith("_equivariant_gate")]
            # the irreps after block k are those the next block (or the readout) reads
            readers = [f"{k + 1}_self_interaction_1" for k in range(len(blocks) - 1)]
            irreps = [model._modules[n].irreps_in for n in readers]
            irreps.append(model._modules["reduce_input_to_hidden"].irreps_in)
            spec = dict(names=names[: names.index(blocks[-1]) + 1], blocks=blocks,
                        irreps=irreps, cutoff=float(calc.cutoff),
                        known=frozenset(int(z) for z in model.type_map))
            _MODELS[key] = (model, spec, threading.Lock())
        return _MODELS[key]


def _invariants(x, irreps):
    """Rotation invariants of node features ``x`` laid out as ``irreps``: the scalar
    channels as they are, the norm of each l > 0 channel."""
    import torch

    parts, start = [], 0
    for mul, ir in irreps:
        width = mul * ir.dim
        block = x[:, start : start + width]
        parts.append(block if ir.l == 0 else block.reshape(len(x), mul, ir.dim).norm(dim=2))
        start += width
    return torch.cat(parts, dim=1)


def _block_widths(irreps):
    return [sum(mul for mul, _ in ir) for ir in irreps]


class SevenNetSiteEmbedder(_SiteFeaturizerBase):
    """The absorbing site's learned embedding from the pretrained SevenNet potential.

    SevenNet-0 (Park et al., 2024), an equivariant (NequIP-style) graph network
    potential trained on the Materials Project trajectories, carries per atom scalar,
    vector and rank-2 channels through 5 interaction blocks. This featurizer takes
    their rotation invariants at the absorbing site after each block (the scalar
    channels and the norm of every l > 0 channel: 224 numbers per block, 128 after
    the last), a complement to :class:`CHGNetSiteEmbedder` for forward models. The
    weights ship inside the ``sevenn`` wheel (a core dependency): nothing is
    downloaded.

    Each distinct structure goes through the model once for all its absorbing sites,
    and results are cached.

    Parameters
    ----------
    model_name : {"7net-0", "7net-l3i5"}, default="7net-0"
        Which checkpoint of the wheel (``"7net-l3i5"`` adds l = 3 channels).
    layer : int or tuple of int, default=(0, 1, 2, 3, 4)
        Which blocks' invariants, 0 to 4 (or negative from the end); all blocks come
        from one forward pass, so several cost nothing extra.
    batch_size : int, default=8
        Structures per joblib task.
    device : str, default="auto"
        Torch device (``"auto"``: CUDA when available, else CPU).
    n_jobs : int, default=None
        Parallel joblib jobs over batches of structures (each worker process loads
        the model once): on the CPU, the way to use several cores (see the Notes).
    on_error : {"raise", "nan"}, default="raise"
        What to do with a row that cannot be featurized (no site at the index,
        another element than declared, an element the checkpoint has no type for):
        ``"raise"`` an :class:`~sklearn_xas.exceptions.XASDataError` naming the row,
        or ``"nan"``: make the row NaN and warn listing the rows.
    cache : bool or path-like, default=True
        Keep each site's invariants (all blocks) in a process-wide in-memory store
        keyed by the structure's content; a folder path also keeps them on disk. See
        :func:`clear_feature_cache`.
    progress : bool or None, default=None
        Show a progress bar over batches (``None``: when stderr is a terminal and
        there are more than 100 batches).

    Attributes
    ----------
    layers_ : tuple of int
        The blocks returned, non-negative.
    feature_names_out_ : ndarray of str
        ``"sevennet_l<block>_<j>"``.

    See Also
    --------
    CHGNetSiteEmbedder : The same for the CHGNet potential (a core dependency).

    Notes
    -----
    On OmniXAS's Cu K-edge FEFF XANES (``benchmarks/script_forward_experiments.py``:
    one network, fit on an inner split of OmniXAS's training list and scored on the
    rest, then on its validation list), these invariants alone gave eta 11.1 (inner)
    and 6.5 (validation) where CHGNet's five stages gave 9.7 and 6.2; beside CHGNet
    and the radial distribution they took the recipe's features from 10.3 to 14.5
    and from 6.4 to 7.5.

    On the CPU each forward pass runs on one torch thread: the model's many small
    operations gain little from more (29 against 45 ms per Cu site with two threads
    on an idle 2-core machine) and lose much when another process holds a core (1,000
    against 47 ms). The model is loaded lazily into a module-level store, never
    an attribute of the estimator: pickling or cloning does not carry its weights.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.featurizers import SevenNetSiteEmbedder
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> emb = SevenNetSiteEmbedder(layer=4, device="cpu")
    >>> emb.fit_transform([(nacl, 0), (nacl, 4)]).shape
    (2, 128)
    """

    _parameter_constraints: dict = {
        "model_name": [StrOptions(set(SEVENNET_MODELS))],
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
        model_name="7net-0",
        layer=(0, 1, 2, 3, 4),
        batch_size=8,
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
        _, spec, _ = _load_sevennet(self.model_name, resolve_device(self.device))
        self.layers_ = check_layers(self.layer, len(spec["blocks"]), type(self).__name__)
        self._widths = _block_widths(spec["irreps"])
        self.feature_names_out_ = np.asarray(
            [f"sevennet_l{k}_{j}" for k in self.layers_ for j in range(self._widths[k])],
            dtype=object,
        )

    def _chunk_size(self):
        return self.batch_size

    def _cache_token(self):
        import sevenn

        return f"SevenNetSiteEmbedder:sevenn-{sevenn.__version__}:{self.model_name}:all-blocks"

    def _computed_names(self):
        # The cache holds all blocks; the requested ones are selected afterwards.
        return [f"l{k}_{j}" for k, w in enumerate(self._widths) for j in range(w)]

    def _select_columns(self, out):
        starts = np.concatenate([[0], np.cumsum(self._widths)])
        return np.hstack([out[:, starts[k] : starts[k + 1]] for k in self.layers_])

    def _compute_groups(self, groups):
        model, spec, lock = _load_sevennet(self.model_name, resolve_device(self.device))
        results = []
        for structure, indices in groups:
            try:
                rows = self._embed(model, spec, lock, structure, indices)
            except Exception as exc:
                err = (f"SevenNet failed: {type(exc).__name__}: {exc}", _portable(exc))
                results.append((None, {i: err for i in range(len(indices))}))
            else:
                results.append((rows, {}))
        return results

    def _embed(self, model, spec, lock, structure, indices):
        import torch
        from pymatgen.io.ase import AseAtomsAdaptor
        from sevenn import _keys as key
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph

        unknown = sorted({el.symbol for el in structure.composition.elements
                          if el.Z not in spec["known"]})
        if unknown:
            raise ValueError(f"{self.model_name} has no atom type for {', '.join(unknown)}")
        atoms = AseAtomsAdaptor.get_atoms(structure)
        data = AtomGraphData.from_numpy_dict(
            unlabeled_atoms_to_graph(atoms, spec["cutoff"], with_shift=False))
        device = next(model.parameters()).device
        sites = torch.as_tensor(list(indices), dtype=torch.long, device=device)
        blocks = []
        with lock, torch.no_grad(), one_cpu_thread(device):  # see the Notes
            data = model._preprocess(data.to(device))  # atomic numbers -> one-hot types
            irreps = iter(spec["irreps"])
            for name in spec["names"]:  # the interaction blocks only: no energy, no forces
                data = model._modules[name](data)
                if name in spec["blocks"]:
                    blocks.append(_invariants(data[key.NODE_FEATURE][sites], next(irreps)))
        return torch.cat(blocks, dim=1).to("cpu", torch.float64).numpy()
