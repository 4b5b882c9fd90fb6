"""Trained models that answer in one call: saved with their metadata, loaded back.

- :func:`train_model`: fit a task's recipe (:mod:`sklearn_xas.pipelines`) on a data set
  and keep what it needs to answer again (the forward task's target preprocessing and
  grid, the inverse tasks' neighbour method, a per-element baseline, a summary of the
  training data, the library version) in a :class:`TrainedModel`;
- :meth:`TrainedModel.save` and :func:`load_model`: the file ``sklearn-xas train``
  writes and ``sklearn-xas predict`` reads.
"""

from ._model import (
    FORMAT_VERSION,
    MODEL_FORMAT,
    TaskResult,
    TrainedModel,
    fit_and_score,
    label_sets,
    load_model,
    train_model,
)

__all__ = [
    "FORMAT_VERSION",
    "MODEL_FORMAT",
    "TaskResult",
    "TrainedModel",
    "fit_and_score",
    "label_sets",
    "load_model",
    "train_model",
]
