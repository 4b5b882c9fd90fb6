"""Fit, predict and accuracy of the three estimators, per backend and device.

Data (see :func:`benchmarks.common.make_tasks`): material-disjoint splits of real site
spectra. Forward: smeared-RDF site features -> Cu K-edge XANES on the OmniXAS grid.
Inverse, on the multi-element EXAFS set: k^2-weighted chi(k) plus the absorber's element
encoding -> the neighbour types / the mean nearest-neighbour distance. Across elements,
on the bundled FEFF10 XANES of 77 absorbing elements: the forward model and the
distance from XANES. The ``track_``
methods give the accuracy on the held-out materials, small-data figures meant to
catch regressions; the results page has the full-data
figures (Cu XANES inverse tasks included).
"""

import numpy as np
from sklearn.metrics import f1_score

from sklearn_xas.estimators import NeighborTypeClassifier, NNDistanceRegressor, SpectrumRegressor
from sklearn_xas.metrics import eta_score

from .common import Benchmark, Estimator, Predictor, Tracker, check_device, get_task

#: Network settings shared by the benchmarks: small and few epochs, seeded.
NET = dict(hidden_layer_sizes=(128, 128), max_epochs=30, patience=10, random_state=0)
NETWORK_BACKENDS = {"mlp", "cnn"}


def _check_backend_device(backend, device):
    if device != "cpu" and backend not in NETWORK_BACKENDS:
        raise NotImplementedError(f"device applies to the network backends, not {backend!r}.")
    check_device(device)


class _EstimatorBench(Estimator, Predictor, Tracker):
    task = None

    def make_data(self, cache, params):
        _check_backend_device(params[-2], params[-1])
        return get_task(cache, self.task)


class SpectrumRegressorBench(_EstimatorBench, Benchmark):
    """Forward model on Cu XANES; the score is OmniXAS's eta (higher is better).

    eta = median per-spectrum MSE of the training-mean spectrum / that of the model.
    """

    task = "forward"
    param_names = ["backend", "device"]
    params = (["mlp", "knn", "ridge", "extra_trees"], ["cpu", "cuda"])
    unit = "eta"

    def make_estimator(self, params):
        backend, device = params
        return SpectrumRegressor(backend=backend, device=device, n_estimators=50, **NET)

    def metric(self, y_true, y_pred):
        return eta_score(y_true, y_pred, self.y.mean(axis=0))


class NeighborTypeClassifierBench(_EstimatorBench, Benchmark):
    """Which elements neighbour the absorber; the score is the sample-averaged F1."""

    task = "types"
    param_names = ["backend", "device"]
    params = (["mlp", "cnn", "random_forest", "logistic"], ["cpu", "cuda"])
    unit = "F1"

    def make_estimator(self, params):
        backend, device = params
        return NeighborTypeClassifier(
            backend=backend, device=device, n_estimators=50, channels=(8, 16), **NET
        )

    def metric(self, y_true, y_pred):
        return f1_score(y_true, y_pred, average="samples", zero_division=0)


class NNDistanceRegressorBench(_EstimatorBench, Benchmark):
    """Mean nearest-neighbour distance; the score is the MAE in Angstrom (lower is better)."""

    task = "distance"
    param_names = ["backend", "device"]
    params = (["extra_trees", "gradient_boosting", "random_forest", "mlp"], ["cpu", "cuda"])
    unit = "Angstrom"

    def make_estimator(self, params):
        backend, device = params
        return NNDistanceRegressor(
            backend=backend, device=device, max_iter=100, n_estimators=50, **NET
        )

    def metric(self, y_true, y_pred):
        return float(np.mean(np.abs(y_true - y_pred)))


class SpectrumRegressorMultiElementBench(SpectrumRegressorBench):
    """Forward model across 77 absorbing elements (bundled FEFF10 XANES); eta.

    One model for every element, K and L3 edges, on the edge-step normalised spectrum
    on E - E0; material-disjoint split of the bundled prototype crystals.
    """

    task = "forward_multi"
    params = (["mlp", "knn", "extra_trees"], ["cpu", "cuda"])


class NNDistanceRegressorXANESBench(NNDistanceRegressorBench):
    """Mean NN distance from XANES across 77 absorbing elements; MAE in Angstrom."""

    task = "distance_xanes_multi"
    params = (["extra_trees", "gradient_boosting"], ["cpu"])
