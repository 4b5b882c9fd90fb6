"""Scores of sklearn-xas models, in one place.

- Forward (structure -> spectrum): :func:`per_spectrum_mse` and :func:`eta_score`,
  OmniXAS's eta (the median per-spectrum MSE of a baseline, by default the training-mean
  spectrum, over that of the model; higher is better, 1 is the baseline);
- neighbour types (multi-label): :func:`neighbor_type_scores` (F1 micro, macro over
  labels with enough support, per-site F1 and exact-set accuracy) and
  :func:`exact_set_accuracy`;
- intervals: :func:`interval_coverage`;
- calibration of predicted probabilities (binary, multi-label or multi-class):
  :func:`expected_calibration_error` and :func:`reliability_curve`;
- scorers for ``GridSearchCV(scoring=...)``: :data:`eta_scorer` and
  :data:`exact_set_scorer`.
"""

from ._calibration import expected_calibration_error, reliability_curve
from ._scores import (
    eta_score,
    eta_scorer,
    exact_set_accuracy,
    exact_set_scorer,
    interval_coverage,
    neighbor_type_scores,
    per_spectrum_mse,
)

__all__ = [
    "eta_score",
    "eta_scorer",
    "exact_set_accuracy",
    "exact_set_scorer",
    "expected_calibration_error",
    "interval_coverage",
    "neighbor_type_scores",
    "per_spectrum_mse",
    "reliability_curve",
]
