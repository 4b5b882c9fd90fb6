"""Trained models that answer in one call: saved with their metadata, loaded back.

- :func:`train_model`: fit a task's recipe (:mod:`sklearn_xas.pipelines`) on a data set
  and keep what it needs to answer again (the forward task's target preprocessing and
  grid, the inverse tasks' neighbour method, a per-element baseline, a summary of the
  training data, the library version) in a :class:`TrainedModel`;
- :meth:`TrainedModel.save` and :func:`load_model`: the file ``sklearn-xas train``
  writes and ``sklearn-xas predict --model`` reads;
- the models shipped in the package, each with a model card: :func:`list_models`,
  :func:`load_pretrained`, and :func:`describe_sites`, the one-call answer for
  measured or simulated spectra (``sklearn-xas predict sample.xdi``); :func:`to_chi`
  turns measured mu(E) into the chi(k) they read.

>>> from sklearn_xas.datasets import load  # doctest: +SKIP
>>> from sklearn_xas.pretrained import describe_sites  # doctest: +SKIP
>>> describe_sites(load("cu_foil.xdi"))  # doctest: +SKIP
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
from ._shipped import (
    ANSWER_COLUMNS,
    COMPOSITION_FIT_RATIO,
    COMPOUND_OWN_FACTOR,
    FIT_CANDIDATES,
    FIT_DECIDES_RATIO,
    LOOK_ALIKE_Z,
    MODELS_DIR,
    describe_sites,
    list_models,
    load_pretrained,
    nearest_training_spectra,
    to_chi,
)

__all__ = [
    "ANSWER_COLUMNS",
    "COMPOSITION_FIT_RATIO",
    "COMPOUND_OWN_FACTOR",
    "FIT_CANDIDATES",
    "FIT_DECIDES_RATIO",
    "FORMAT_VERSION",
    "LOOK_ALIKE_Z",
    "MODELS_DIR",
    "MODEL_FORMAT",
    "TaskResult",
    "TrainedModel",
    "describe_sites",
    "fit_and_score",
    "label_sets",
    "list_models",
    "load_model",
    "load_pretrained",
    "nearest_training_spectra",
    "to_chi",
    "train_model",
]
