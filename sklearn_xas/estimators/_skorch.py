"""What the three estimators share: building and fitting a skorch net, seeding, devices,
input validation and persistence.

The estimators wrap skorch by composition: ``fit`` builds a :class:`skorch.NeuralNet`
from a module *class* and flat hyperparameters, trains it on float32 arrays with an
internal, seeded validation split and early stopping, and keeps it as ``net_`` (an
ensemble of ``n_ensemble`` such nets as ``nets_``).
Pickling stores the module's weights as a CPU ``state_dict`` and rebuilds the net on
load, so a model trained on a GPU loads on a machine without one.
"""

import math
import numbers
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import resolve_device
from ._modules import ACTIVATIONS

#: Parameter constraints shared by the network backends; their documentation, written
#: once, is ``_docs.NET_PARAMETER_DOCS``.
NET_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "dropout": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
    "lr": [Interval(numbers.Real, 0.0, None, closed="neither")],
    "weight_decay": [Interval(numbers.Real, 0.0, None, closed="left")],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(numbers.Real, 0.0, 1.0, closed="left"), None],
    "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "lr_schedule": [StrOptions({"plateau", "cosine"}), None],
    "n_ensemble": [Interval(numbers.Integral, 1, None, closed="left")],
    "device": [str, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

_GRID_HINT = (
    " Were these spectra resampled on another energy/k grid, or the structures featurized "
    "with other settings, than the training data? Use the same preprocessing as at fit."
)


def _silent(*args, **kwargs):
    """A sink that prints nothing (skorch callbacks print through ``sink``)."""


def draw_seed(random_state):
    """An int seed drawn from ``random_state`` (``None``: from numpy's global RNG)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def hidden_sizes(value):
    """``hidden_layer_sizes`` as a tuple of ints (an int means one hidden layer)."""
    if isinstance(value, numbers.Integral):
        return (int(value),)
    sizes = tuple(int(v) for v in value)
    if any(v < 1 for v in sizes):
        raise ValueError(f"hidden_layer_sizes must hold positive ints, got {value!r}.")
    return sizes


def standardization(Y, enabled):
    """Per-column mean and scale of ``Y`` (zeros and ones when not ``enabled``)."""
    if not enabled:
        return np.zeros(Y.shape[1]), np.ones(Y.shape[1])
    mean = Y.mean(axis=0)
    scale = Y.std(axis=0)
    scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)
    return mean, scale


def _fork_devices(device):
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        return [dev.index if dev.index is not None else torch.cuda.current_device()]
    return []


def load_device(requested, saved):
    """The device to rebuild a pickled net on.

    ``requested`` is the estimator's ``device`` parameter: ``"auto"`` (or ``None``)
    resolves on the loading machine; an explicit CUDA device falls back to ``"cpu"``
    with a warning when the loading machine has no CUDA. ``saved`` is the device the
    net was trained on, only named in that warning.
    """
    import torch

    device = resolve_device(requested)
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        warnings.warn(
            f"This model was trained on device {saved!r} and asks for {requested!r}, but no "
            "CUDA device is available here; it is loaded on 'cpu'.",
            UserWarning,
            stacklevel=3,
        )
        device = "cpu"
    return device


@contextmanager
def torch_threads(n_jobs, device):
    """Run torch on at most ``n_jobs`` CPU threads (restored after); a no-op when
    ``n_jobs`` is None or negative, or the device is not the CPU."""
    import torch

    if n_jobs is None or n_jobs < 0 or torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_jobs)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_net(spec, device, **kwargs):
    """An uninitialised :class:`skorch.NeuralNet` from ``spec``.

    ``spec`` holds ``module`` (a class), ``module_kwargs``, ``criterion`` (a class),
    ``criterion_kwargs`` and ``batch_size``; ``kwargs`` go to ``NeuralNet``.
    """
    import torch
    from skorch import NeuralNet

    params = {f"module__{k}": v for k, v in spec["module_kwargs"].items()}
    params.update({f"criterion__{k}": v for k, v in spec["criterion_kwargs"].items()})
    params.setdefault("optimizer", torch.optim.AdamW)
    params.setdefault("train_split", None)
    params.setdefault("verbose", 0)
    params.update(kwargs)
    return NeuralNet(
        module=spec["module"],
        criterion=spec["criterion"],
        batch_size=spec["batch_size"],
        device=device,
        predict_nonlinearity=None,
        **params,
    )


def net_payload(net, spec):
    """What pickling keeps of a fitted net: its spec, CPU weights, device and history.

    The history keeps each epoch's record without its per-batch records (on tens of
    thousands of spectra those were five times the weights).
    """
    state = {k: v.detach().to("cpu") for k, v in net.module_.state_dict().items()}
    return {
        "spec": spec,
        "module_state": state,
        "device": str(net.device),
        "history": [{k: v for k, v in epoch.items() if k != "batches"}
                    for epoch in net.history],
    }


def restore_net(payload, requested_device):
    """Rebuild a fitted net from :func:`net_payload` on the loading machine's device."""
    from skorch.history import History

    device = load_device(requested_device, payload["device"])
    net = build_net(payload["spec"], device)
    net.initialize()
    net.module_.load_state_dict(payload["module_state"])
    net.history = History(payload["history"])
    return net


class _BaseNetEstimator(BaseEstimator):
    """Shared machinery of the estimators that wrap skorch (not public).

    Subclasses set the usual hyperparameters (see :data:`NET_PARAMETER_CONSTRAINTS`)
    and call :meth:`_fit_net` / :meth:`_forward`.
    """

    def _reset_fitted(self):
        """Forget what a previous fit left (another backend's model, say)."""
        for name in ("net_", "nets_", "estimator_", "y_mean_", "y_scale_", "n_iter_",
                     "best_epoch_"):
            self.__dict__.pop(name, None)

    # -- input validation -------------------------------------------------------------
    def _validate_fit_X(self, X, y="no_validation", **kwargs):
        return validate_data(self, X, y, reset=True, dtype=np.float64, **kwargs)

    def _validate_predict_X(self, X):
        check_is_fitted(self)
        try:
            return validate_data(self, X, reset=False, dtype=np.float64)
        except ValueError as exc:
            if "features, but" in str(exc):
                raise ValueError(f"{exc}{_GRID_HINT}") from exc
            raise

    # -- the network ------------------------------------------------------------------
    def _callbacks(self, monitor):
        """Fresh skorch callbacks for one network (callbacks hold per-net state)."""
        import torch
        from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar

        sink = print if self.verbose else _silent
        callbacks = []
        if self.patience is not None:
            stop = EarlyStopping(
                monitor=monitor, patience=self.patience, load_best=True, sink=sink
            )
            callbacks.append(("early_stopping", stop))
        if self.lr_schedule == "plateau":
            schedule = LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
                monitor=monitor,
                factor=0.5,
                patience=max(1, (self.patience or 20) // 3),
            )
            callbacks.append(("lr_schedule", schedule))
        elif self.lr_schedule == "cosine":
            schedule = LRScheduler(
                policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=self.max_epochs
            )
            callbacks.append(("lr_schedule", schedule))
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _fit_net(self, X, y, *, module, module_kwargs, criterion, criterion_kwargs=None):
        """Standardise ``X``, build ``n_ensemble`` skorch nets and fit each on (``X``, ``y``).

        Each network has its own seed (drawn from ``random_state``), hence its own
        initialisation, validation split and batch order. Sets ``nets_``, ``net_`` (the
        first), ``n_iter_`` and ``best_epoch_`` (of the first) and the input scaling;
        ``y`` must already be float32 and in the form the criterion expects.
        """
        import torch
        from skorch.dataset import ValidSplit

        rng = check_random_state(self.random_state)
        n_members = int(getattr(self, "n_ensemble", 1))
        seeds = [draw_seed(rng) for _ in range(n_members)]
        device = resolve_device(self.device)
        self.x_mean_, self.x_scale_ = standardization(X, True)
        X32 = self._scale_X(X)

        n = X.shape[0]
        frac = self.validation_fraction or 0.0
        n_valid = math.ceil(frac * n) if frac else 0
        use_valid = n_valid >= 1 and n - n_valid >= 1
        monitor = "valid_loss" if use_valid else "train_loss"
        spec = {
            "module": module,
            "module_kwargs": dict(module_kwargs, n_inputs=X.shape[1]),
            "criterion": criterion,
            "criterion_kwargs": dict(criterion_kwargs or {}),
            "batch_size": int(self.batch_size),
        }
        nets = []
        for i, seed in enumerate(seeds):
            if self.verbose and n_members > 1:
                print(f"{type(self).__name__}: network {i + 1} of {n_members}")
            net = build_net(
                spec,
                device,
                lr=self.lr,
                optimizer__weight_decay=self.weight_decay,
                max_epochs=self.max_epochs,
                train_split=(
                    ValidSplit(cv=float(frac), stratified=False, random_state=seed)
                    if use_valid
                    else None
                ),
                callbacks=self._callbacks(monitor),
                iterator_train__shuffle=True,
                iterator_train__generator=torch.Generator().manual_seed(seed),
                verbose=int(bool(self.verbose)),
            )
            with torch.random.fork_rng(devices=_fork_devices(device)), torch_threads(
                getattr(self, "n_jobs", None), device
            ):
                torch.manual_seed(seed)
                net.fit(X32, y)
            nets.append(net)
        self.nets_ = nets
        self.net_ = nets[0]
        self._net_spec = spec
        history = self.net_.history
        self.n_iter_ = len(history)
        scores = [epoch.get(monitor, np.inf) for epoch in history]
        self.best_epoch_ = int(np.argmin(scores)) + 1 if scores else 0
        return nets

    def _scale_X(self, X):
        return ((X - self.x_mean_) / self.x_scale_).astype(np.float32)

    def _forward(self, X, link=None, members=False):
        """The networks' output on validated ``X``, averaged over the ensemble.

        ``link`` (a numpy function, e.g. the sigmoid) is applied to each network's raw
        output before averaging. Returns a float64 array; with ``members=True`` the
        outputs of every network, stacked along a first axis, instead of their mean.
        """
        X32 = self._scale_X(X)
        outs = []
        with torch_threads(getattr(self, "n_jobs", None), self.net_.device):
            for net in self.nets_:
                out = net.forward(X32, training=False, device="cpu")
                out = out.detach().numpy().astype(np.float64)
                outs.append(link(out) if link is not None else out)
        return np.stack(outs) if members else sum(outs) / len(outs)

    # -- persistence ------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        if "nets_" in state:
            state = dict(state)
            spec = state.pop("_net_spec")
            state["nets_"] = [net_payload(net, spec) for net in state["nets_"]]
            del state["net_"]  # the first of nets_, restored from it
        return state

    def __setstate__(self, state):
        payloads = state.get("nets_")
        if payloads and isinstance(payloads[0], dict) and "module_state" in payloads[0]:
            state = dict(state)
            device = state.get("device", "auto")
            state["nets_"] = [restore_net(payload, device) for payload in payloads]
            state["net_"] = state["nets_"][0]
            state["_net_spec"] = payloads[0]["spec"]
        super().__setstate__(state)
