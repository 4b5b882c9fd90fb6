"""The models shipped in the package, each with a model card, and one-call answers.

A shipped model is a :class:`TrainedModel` saved by ``benchmarks/train_pretrained.py``
as ``models/<name>.joblib`` beside ``models/<name>.json``, its model card (training
data, settings, validation figures, intended use, library version). Only files made
by the project's own code are shipped.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._core import check_frame
from ..estimators._neighbor_type import decide_labels
from ..exceptions import XASDataError
from ..pipelines import (
    make_coordination_pipeline,
    make_neighbor_type_pipeline,
    make_nn_distance_pipeline,
)
from ..preprocessing import EXAFSExtractor, KWeighter
from ..simulate import FeffError, fit_first_shell
from ..utils import progress
from ._model import load_model

#: Where the shipped models live.
MODELS_DIR = Path(__file__).resolve().parent / "models"
#: The k grid (1/Angstrom) of the shipped inverse models: measured spectra usually
#: reach k = 11; one that ends earlier is zero-filled beyond its end (and flagged).
SHIPPED_K_GRID = (3.0, 11.0, 161)
#: The leading columns of :func:`describe_sites`, the answer first (the fit's details
#: follow).
ANSWER_COLUMNS = ("material_id", "absorbing_element", "edge", "neighbor_types",
                  "neighbor_probabilities", "neighbor_source", "mean_nn_distance",
                  "distance_source",
                  "model_nn_distance", "distance_low", "distance_high", "coordination_number",
                  "coordination_probability", "in_domain", "note")
#: Two likely neighbour elements this close in Z are flagged in ``note``: their
#: backscattering amplitudes and phases differ little, so EXAFS tells them apart poorly
#: (on the measured standards most wrong neighbour sets are such pairs).
LOOK_ALIKE_Z = 2
#: The most probable neighbour elements :func:`describe_sites` tries, in turn, for the
#: path of its first-shell fit (the first accepted fit wins).
FIT_CANDIDATES = 2
#: Where the two most probable neighbour elements look alike (:data:`LOOK_ALIKE_Z`) and
#: the model names only the first, :func:`describe_sites` fits both and names the
#: runner-up instead when its first-shell R-factor is below this fraction of the
#: first's. Chosen on held-out simulated sites, augmented as measured data differ from
#: theory (``benchmarks/script_neighbor_fit.py``), not on the measured standards: any
#: ratio from 0.5 to 0.7 did best there (the middle is taken); above 0.8 the fit swaps
#: too often, and a good answer for the wrong element is common.
FIT_DECIDES_RATIO = 0.6
#: With the sample's composition, an element of it that is no look-alike of the
#: model's choice is named instead when its first-shell R-factor is below this
#: fraction of the choice's (0: never, and it is not fitted; look-alikes keep
#: :data:`FIT_DECIDES_RATIO`). Chosen on held-out simulated sites
#: (``benchmarks/script_composition.py``), not on the measured standards: any ratio
#: from 0.1 to 0.6 named fewer neighbour sets right than 0 (a path of another
#: element, with its own amplitude, sigma**2 and E0, often fits a shell as well).
COMPOSITION_FIT_RATIO = 0.0
#: With a composition of more than one element, the model's probability that the
#: absorber's own element neighbours it is multiplied by this. The model, whose
#: training data hold every element's own crystals, names the absorber's element
#: far more often in compounds than it neighbours it there. Chosen on held-out
#: simulated sites (``benchmarks/script_composition.py``), not on the measured
#: standards: every factor from 1 down named more neighbour sets right, 0 the most,
#: although 605 of the 5290 held-out sites are compounds whose absorber has its own
#: element among its neighbours (the model named it beside the other one in 3%).
COMPOUND_OWN_FACTOR = 0.0


def make_shipped_pipeline(task, *, k_grid=SHIPPED_K_GRID, **params):
    """The inverse recipe the shipped models use: chi(k) on ``k_grid``, zero beyond a
    spectrum's end.

    Parameters
    ----------
    task : {"neighbor-types", "nn-distance", "coordination-number"}
        Which recipe (:func:`~sklearn_xas.pipelines.make_neighbor_type_pipeline`,
        :func:`~sklearn_xas.pipelines.make_nn_distance_pipeline` or
        :func:`~sklearn_xas.pipelines.make_coordination_pipeline`, EXAFS rows only).
    k_grid : tuple (start, stop, num), default=SHIPPED_K_GRID
        The k grid.
    **params
        Passed to the recipe (estimator parameters).

    Returns
    -------
    pipeline : Pipeline

    Examples
    --------
    >>> from sklearn_xas.pretrained._shipped import make_shipped_pipeline
    >>> pipe = make_shipped_pipeline("nn-distance", n_estimators=10)
    >>> pipe.get_params()["features__spectrum__exafs__resample__outside"]
    'constant'
    """
    make = {"neighbor-types": make_neighbor_type_pipeline,
            "nn-distance": make_nn_distance_pipeline,
            "coordination-number": make_coordination_pipeline}[task]
    pipe = make(kind="EXAFS", exafs_grid=k_grid, **params)
    return pipe.set_params(features__spectrum__exafs__resample__outside="constant",
                           features__spectrum__exafs__resample__fill_value=0.0)


def _cards():
    cards = {}
    for path in sorted(MODELS_DIR.glob("*.json")):
        card = json.loads(path.read_text())
        cards[card["name"]] = card
    return cards


def list_models():
    """The shipped models and their model cards.

    Returns
    -------
    models : pandas.DataFrame
        One row per model: ``name``, ``task``, ``spectrum_type``, ``summary`` (one line
        of what it does and how well), and ``card`` (the whole model card, a dict).

    Examples
    --------
    >>> from sklearn_xas.pretrained import list_models
    >>> models = list_models()
    >>> {"name", "task", "spectrum_type", "card"} <= set(models.columns)
    True
    """
    rows = [dict(name=name, task=card["task"], spectrum_type=card["spectrum_type"],
                 summary=card.get("summary", ""), card=card)
            for name, card in _cards().items()]
    return pd.DataFrame(rows, columns=["name", "task", "spectrum_type", "summary", "card"])


def load_pretrained(name):
    """Load a shipped model by name (see :func:`list_models`).

    Parameters
    ----------
    name : str
        The model's name.

    Returns
    -------
    model : TrainedModel
        With its model card as ``model.card``.

    Raises
    ------
    XASDataError
        If no shipped model has that name (the message lists those that exist).

    Examples
    --------
    >>> from sklearn_xas.pretrained import load_pretrained
    >>> load_pretrained("no-such-model")
    Traceback (most recent call last):
    ...
    sklearn_xas.exceptions.XASDataError: No shipped model 'no-such-model'; ...
    """
    cards = _cards()
    if name not in cards:
        raise XASDataError(f"No shipped model {name!r}; the package has: "
                           f"{', '.join(cards) or 'none'}.")
    model = load_model(MODELS_DIR / cards[name]["file"])
    model.card = cards[name]
    return model


def to_chi(data, *, kmax=None):
    """EXAFS rows for the inverse models: measured mu(E) rows become chi(k).

    Rows that are already chi(k) are kept; mu(E) rows (``spectrum_type="XANES"``, as the
    measured-file readers return the whole absorption spectrum) go through
    :class:`~sklearn_xas.preprocessing.EXAFSExtractor` with its defaults.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        Measured or simulated spectra.
    kmax : float or None, default=None
        Passed to the extractor.

    Returns
    -------
    frame : pandas.DataFrame
        EXAFS rows only, in the input order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.datasets import XASDataset
    >>> from sklearn_xas.pretrained import to_chi
    >>> from sklearn_xas.preprocessing import k_to_energy
    >>> e = np.concatenate([np.linspace(8900, 8975, 80), 8979 + k_to_energy(
    ...     np.linspace(0.5, 14, 300))])
    >>> k = np.sqrt(np.clip(e - 8979, 0, None) / 3.81)
    >>> mu = 1 / (1 + np.exp(-(e - 8979) / 2)) * (1 + 0.1 * np.sin(2 * 2.55 * k))
    >>> data = XASDataset.from_records([dict(material_id="foil", absorbing_index=None,
    ...     absorbing_element="Cu", edge="K", spectrum_type="XANES", structure=None,
    ...     x=e, y=mu)])
    >>> to_chi(data)["spectrum_type"].tolist()
    ['EXAFS']
    """
    frame = check_frame(data, ("spectrum_type", "x", "y"), step="to_chi")
    is_mu = frame["spectrum_type"].to_numpy() == "XANES"
    if not is_mu.any():
        return frame
    extracted = EXAFSExtractor(kmax=kmax).fit_transform(frame[is_mu])
    parts = [extracted, frame[~is_mu]]
    return pd.concat(parts).loc[frame.index]


def describe_sites(data, *, neighbor_model="neighbor-types-exafs",
                   distance_model="nn-distance-exafs",
                   coordination_model="auto", min_probability=0.3, refine="auto",
                   composition=None, return_fits=False, progress=None):
    """What surrounds the absorber of each spectrum, from the shipped models, in one call.

    The models answer from the whole chi(k); with ``refine``, the distance is then
    refined by a first-shell fit of chi(k) (:func:`sklearn_xas.simulate.fit_first_shell`:
    one FEFF6L path of the most probable neighbour element, started at the model's
    distance), the way an EXAFS analyst would. A fit whose R-factor exceeds
    :data:`~sklearn_xas.simulate.MAX_R_FACTOR` is tried again started from the data
    (the first-shell peak of |chi(R)|, for a model distance that is somewhat off; such
    a fit counts only inside the model's 90% interval), then with the next most
    probable element (:data:`FIT_CANDIDATES` in all); without an accepted fit the
    model's distance stays. The fit also decides between two look-alike neighbour
    elements (:data:`LOOK_ALIKE_Z`) that the model ranks first and second.

    Where the sample's ``composition`` is known, as it usually is at a beamline, the
    answer is restricted to its elements: an element of the composition takes the
    probability of a look-alike outside it (:data:`LOOK_ALIKE_Z`; EXAFS cannot tell
    them apart, the model's preference among them is its training data's) where that
    is higher than its own, the probabilities of the other elements are then
    set to 0, and in a compound the absorber's own element's is multiplied by
    :data:`COMPOUND_OWN_FACTOR` (0: in a compound, the absorber's own element is not
    named), before the model's threshold is applied; with ``refine`` the composition's
    look-alikes of the model's choice are fitted beside it, the best fit naming the
    neighbour when it is clearly better (:data:`FIT_DECIDES_RATIO`; other elements by
    :data:`COMPOSITION_FIT_RATIO`, 0: never). This is what an analyst does with a known
    sample; it is reported apart from the spectrum-only answer.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        Spectra, e.g. ``sklearn_xas.datasets.load("sample.xdi")``; mu(E) rows are turned
        into chi(k) first (:func:`to_chi`).
    neighbor_model, distance_model : str
        Names of shipped models (see :func:`list_models`).
    coordination_model : str or None, default="auto"
        The shipped coordination-number model: ``"auto"`` is
        ``"coordination-number-exafs"`` where the package has it (else the coordination
        number is left out), ``None`` leaves it out.
    min_probability : float, default=0.3
        Neighbour elements listed with their probability are those above this.
    refine : {"auto", True, False}, default="auto"
        Refine the distance by a first-shell fit: ``"auto"`` where xraylarch (the
        ``simulate`` extra, which provides FEFF6L and the fit) is installed, ``True``
        always (an error without it), ``False`` never. The column
        ``distance_source`` says which distance each row reports. A fit takes about
        half a second per spectrum (one FEFF6L run per element pair and distance,
        cached).
    composition : str, sequence or None, default=None
        The elements of each sample: a formula or symbols (``"ZnSe"``, ``"Zn Se"``)
        for every row, or one such string (or ``None``: unrestricted) per row. It must
        contain the row's absorbing element. ``None``: the spectrum alone decides.
        Where the model knows none of a row's elements, it names none (the fits still
        may).
    return_fits : bool, default=False
        Also return the fits themselves (to draw them with
        :func:`sklearn_xas.plotting.plot_first_shell_fit`).
    progress : bool or None, default=None
        Show a progress bar over the fits (``None``: only on a terminal).

    Returns
    -------
    table : pandas.DataFrame
        Per spectrum: ``material_id``, ``absorbing_element``, ``edge``,
        ``neighbor_types`` (predicted set), ``neighbor_probabilities`` (dict of the
        likely ones), ``mean_nn_distance`` (Angstrom), ``k_max`` (where the chi(k)
        ends) and ``note`` (a spectrum that ends before the models' k grid does is
        zero-filled beyond its end, the policy the models were trained for; two likely
        neighbour elements at most :data:`LOOK_ALIKE_Z` apart in Z are named), and, where
        the distance model provides them, ``distance_low``/``distance_high`` (its 90%
        interval) and ``in_domain`` (False for spectra unlike the training set), and,
        with ``coordination_model``, ``coordination_number`` and its calibrated
        probability ``coordination_probability``. With ``refine``, where the two most
        probable elements look alike and only the first is named, both are fitted
        (``neighbor_fit_r_factors``: the accepted fits' R-factors) and the runner-up
        is named when its R-factor is below :data:`FIT_DECIDES_RATIO` times the
        first's (with ``composition``: the composition's look-alikes of the model's
        first, see above): ``neighbor_source`` is then
        ``"first-shell fit"`` (else
        ``"model"``) and ``note`` says so. ``mean_nn_distance`` is the refined
        distance where a fit was accepted (``distance_source`` is ``"first-shell fit"``,
        else ``"model"`` or why not); ``model_nn_distance`` is the model's, and
        ``distance_low``/``distance_high`` its interval; the fit adds
        ``fit_neighbor`` (the path's scatterer), ``fit_distance_std`` (statistical
        error), ``fit_r_factor``, ``fit_amplitude`` (N S0^2) and ``fit_sigma2``.
    fits : list of FirstShellFit or None
        With ``return_fits``: each row's fit (the accepted one, else the best rejected
        one), ``None`` where there is none.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pretrained import describe_sites
    >>> data = load_prototype_exafs(elements=["Cu"])
    >>> table = describe_sites(data)  # doctest: +SKIP
    >>> table = describe_sites(data, composition="Cu")  # doctest: +SKIP
    """
    frame = to_chi(data)
    types = load_pretrained(neighbor_model)
    dist = load_pretrained(distance_model)
    out = frame[["material_id", "absorbing_element", "edge"]].reset_index(drop=True)
    allowed = _composition_elements(composition, out["absorbing_element"])
    proba_types = np.asarray(types.model.predict_proba(frame))
    classes = np.asarray(types.classes_)
    if composition is None:
        out["neighbor_types"] = [" ".join(t) for t in types.predict_labels(frame)]
    else:
        outside = np.array([[a is not None and c not in a for c in classes] for a in allowed],
                           dtype=bool).reshape(len(out), len(classes))
        proba_types = np.where(outside, 0.0, _inherit_look_alikes(proba_types, classes,
                                                                  outside))
        for i, (a, elements) in enumerate(zip(out["absorbing_element"], allowed)):
            if elements is not None and len(elements) > 1 and a in classes:
                proba_types[i, classes == a] *= COMPOUND_OWN_FACTOR
        final = types.model.steps[-1][1]
        # the outside elements rank below every allowed one when the labels are topped up
        on = decide_labels(np.where(outside, -1.0, proba_types), final.threshold,
                           final.min_labels) & ~outside
        out["neighbor_types"] = [" ".join(classes[row]) for row in on]
    out["neighbor_probabilities"] = [
        {c: round(float(p), 3) for c, p in sorted(zip(types.classes_, row),
                                                  key=lambda t: -t[1])
         if p >= min_probability} for row in proba_types]
    out["mean_nn_distance"] = np.asarray(dist.predict(frame), dtype=float)
    out["k_max"] = [float(np.max(x)) for x in frame["x"]]
    end = dist.card.get("settings", {}).get("k_grid", SHIPPED_K_GRID)[1]
    notes = [[] if k >= end else [f"ends at k = {k:.1f} < {end:g}: zero-filled beyond"]
             for k in out["k_max"]]
    pairs = _look_alike_pairs(proba_types, types.classes_, min_probability)
    for row, pair in zip(notes, pairs):
        if pair:
            row.append(f"{pair[0]} or {pair[1]}: elements {pair[2]} apart in Z look alike "
                       "in EXAFS")
    out["note"] = ["; ".join(n) for n in notes]
    final = dist.model.steps[-1][1]
    if hasattr(final, "predict_interval"):
        interval = final.predict_interval(dist.model[:-1].transform(frame), coverage=0.9)
        out["distance_low"], out["distance_high"] = interval[:, 0], interval[:, 1]
    if hasattr(final, "applicability_score"):
        features = dist.model[:-1].transform(frame)
        out["in_domain"] = ~np.asarray(final.is_outlier(features), dtype=bool)
    if coordination_model == "auto":
        coordination_model = next((c for c in ["coordination-number-exafs"] if c in _cards()),
                                  None)
    if coordination_model is not None:
        cn = load_pretrained(coordination_model)  # an unknown name raises, listing the models
        proba = np.asarray(cn.model.predict_proba(frame))
        cn_classes = np.asarray(cn.model.classes_)
        out["coordination_number"] = cn_classes[np.argmax(proba, axis=1)].astype(int)
        out["coordination_probability"] = np.round(proba.max(axis=1), 3)
    out["model_nn_distance"] = out["mean_nn_distance"]
    if refine == "auto":
        refine = importlib.util.find_spec("larch") is not None
    if refine not in (True, False):
        raise ValueError(f"refine must be 'auto', True or False, got {refine!r}.")
    out["distance_source"] = "model"
    fits = [None] * len(out)
    if refine:
        k_range = tuple(dist.card.get("settings", {}).get("k_grid", SHIPPED_K_GRID)[:2])
        order = np.argsort(-proba_types, axis=1, kind="stable")
        ranked = classes[order[:, :FIT_CANDIDATES]].tolist()
        contested = {i: (list(pair[:2]), FIT_DECIDES_RATIO) for i, pair in enumerate(pairs)
                     if pair and out.at[i, "neighbor_types"] == pair[0]}
        for i, elements in enumerate(allowed):
            if elements is not None:  # the sample's elements, most probable first
                known = [str(c) for c in classes[order[i]] if c in elements]
                ranked[i] = list(dict.fromkeys(known + sorted(elements)))
                rivals = [n for n in ranked[i][1:] if COMPOSITION_FIT_RATIO > 0
                          or _look_alike(ranked[i][0], n)]
                contested.pop(i, None)
                if rivals:
                    contested[i] = (ranked[i][:1] + rivals, COMPOSITION_FIT_RATIO)
        fits = _refine_distances(frame, out, ranked, k_range, progress, contested)
    first = [c for c in ANSWER_COLUMNS if c in out]
    out = out[first + [c for c in out if c not in first]]
    return (out, fits) if return_fits else out


def _inherit_look_alikes(proba, classes, outside):
    """``proba`` where each element not ``outside`` (per row) takes the highest
    probability among its look-alikes (:data:`LOOK_ALIKE_Z`) that are ``outside``,
    where that is above its own.

    Chosen on the held-out materials of the shipped model's split
    (``benchmarks/script_composition.py``): without it, the model's Cu named for a
    sample of Zn and Se leaves Zn, which it ranks far below, unnamed.
    """
    from pymatgen.core import Element

    z = np.array([Element(str(c)).Z for c in classes])
    near = np.abs(z[:, None] - z[None, :]) <= LOOK_ALIKE_Z  # (element, donor)
    donors = np.where(outside, proba, 0.0)
    inherited = np.max(np.where(near[None], donors[:, None, :], 0.0), axis=2)
    return np.where(outside, proba, np.maximum(proba, inherited))


def _look_alike_pairs(proba, classes, min_probability):
    """Per row: ``(first, second, dZ)`` when the two most probable neighbour elements
    both reach ``min_probability`` and lie at most :data:`LOOK_ALIKE_Z` apart in Z,
    else ``None``."""
    from pymatgen.core import Element

    classes = np.asarray(classes)
    out = []
    for row in np.asarray(proba):
        first, second = np.argsort(-row)[:2]
        pair = None
        if row[second] >= min_probability:
            dz = abs(Element(classes[first]).Z - Element(classes[second]).Z)
            if dz <= LOOK_ALIKE_Z:
                pair = (str(classes[first]), str(classes[second]), dz)
        out.append(pair)
    return out


def _composition_elements(composition, absorbers):
    """Per row, the set of element symbols ``composition`` allows (``None``: any)."""
    from pymatgen.core import Composition, Element

    n = len(absorbers)
    if composition is None:
        return [None] * n
    per_row = [composition] * n if isinstance(composition, str) else list(composition)
    if len(per_row) != n:
        raise ValueError(f"composition has {len(per_row)} entries for {n} spectra; give one "
                         "formula for all, or one per spectrum.")
    out = []
    for i, (formula, absorber) in enumerate(zip(per_row, absorbers)):
        if formula is None:
            out.append(None)
            continue
        try:
            elements = Composition(str(formula)).elements
        except (ValueError, KeyError) as exc:
            raise ValueError(f"composition of spectrum {i}: {formula!r} is not a formula "
                             f"({exc}).") from None
        bad = [str(e) for e in elements if not isinstance(e, Element)]
        if bad or not elements:
            raise ValueError(f"composition of spectrum {i}: {formula!r} names no element "
                             f"{'(' + ', '.join(bad) + ')' if bad else ''}.")
        symbols = {str(e) for e in elements}
        if absorber not in symbols:
            raise ValueError(f"composition of spectrum {i}: {formula!r} lacks its absorbing "
                             f"element {absorber}.")
        out.append(symbols)
    return out


def _refine_distances(frame, out, candidates, k_range, enabled, contested=None):
    """First-shell fits of each row's chi(k) into ``out`` (in place); returns the fits.

    ``candidates[i]``: the neighbour elements to try for row ``i``, most probable
    first; the first accepted fit wins. For a row in ``contested`` (a dict: row ->
    ``(elements, ratio)``, the elements to compare, the model's first first: the two
    most probable where they are look-alikes, or the sample's composition) each is
    fitted, the accepted fits' R-factors go to ``neighbor_fit_r_factors``, and the
    element of the best fit replaces the first, in ``neighbor_types`` too, when its
    R-factor is below :data:`FIT_DECIDES_RATIO` (a look-alike of the first) or
    ``ratio`` (another element; 0: never) times the first's.
    """
    contested = contested or {}
    fits = []
    out["neighbor_source"] = "model"
    out["neighbor_fit_r_factors"] = None
    rows = progress(enumerate(zip(frame["x"], frame["y"])), enabled=enabled, total=len(out),
                    desc="first-shell fits", unit="spectrum")
    for i, (k, chi) in rows:
        coordination = out.at[i, "coordination_number"] if "coordination_number" in out else 6
        interval = ((out.at[i, "distance_low"], out.at[i, "distance_high"])
                    if "distance_low" in out else (-np.inf, np.inf))
        rivals, other_ratio = contested.get(i, ((), 0.0))
        tried = {n: _fit_element(k, chi, out.loc[i], n, coordination, k_range, interval)
                 for n in rivals}
        order = list(candidates[i])
        if tried:
            first = order[0]
            accepted = {n: t[0] for n, t in tried.items()
                        if t[0] is not None and t[0].accepted}
            out.at[i, "neighbor_fit_r_factors"] = {
                n: round(float(f.r_factor), 4) for n, f in accepted.items()}
            best = min(accepted, key=lambda n: accepted[n].r_factor, default=first)
            ratio = FIT_DECIDES_RATIO if _look_alike(first, best) else other_ratio
            if best != first and ratio > 0 and (
                    first not in accepted
                    or accepted[best].r_factor < ratio * accepted[first].r_factor):
                order = [best] + [n for n in order if n != best]
                out.at[i, "neighbor_types"] = best
                out.at[i, "neighbor_source"] = "first-shell fit"
                if "note" in out:
                    worse = (f"{accepted[first].r_factor:.4f}" if first in accepted
                             else "no fit")
                    said = (f"the first-shell fit names {best} (R-factor "
                            f"{accepted[best].r_factor:.4f}, {first} {worse})")
                    out.at[i, "note"] = "; ".join(filter(None, [out.at[i, "note"], said]))
        fit, why, outside = None, None, None
        for neighbor in order:
            if neighbor not in tried:
                tried[neighbor] = _fit_element(k, chi, out.loc[i], neighbor, coordination,
                                               k_range, interval)
            trial, trial_why, trial_outside = tried[neighbor]
            why, outside = trial_why or why, trial_outside or outside
            if trial is not None and trial.accepted:
                fit = trial
                break
            if trial is not None and (fit is None or trial.r_factor < fit.r_factor):
                fit = trial  # the best of the rejected ones, reported as such
        fits.append(fit)
        if fit is not None and fit.accepted:
            out.at[i, "mean_nn_distance"] = fit.distance
            out.at[i, "distance_source"] = "first-shell fit"
        else:
            why = outside or (why if fit is None else f"fit R-factor {fit.r_factor:.2f}")
            out.at[i, "distance_source"] = f"model ({why})"
    for column, attr in [("fit_neighbor", "neighbor"), ("fit_distance_std", "distance_std"),
                         ("fit_r_factor", "r_factor"), ("fit_amplitude", "amplitude"),
                         ("fit_sigma2", "sigma2")]:
        out[column] = [getattr(f, attr) if f is not None else None for f in fits]
    return fits


def _look_alike(a, b):
    """Whether elements ``a`` and ``b`` are at most :data:`LOOK_ALIKE_Z` apart in Z."""
    from pymatgen.core import Element

    return abs(Element(a).Z - Element(b).Z) <= LOOK_ALIKE_Z


def _fit_element(k, chi, row, neighbor, coordination, k_range, interval):
    """The first-shell fit of one neighbour element: ``(fit, why, outside)``.

    Started at the model's distance, then (if that fit is rejected) at the data's first
    peak; ``fit`` is the accepted fit, else the better rejected one (or ``None``),
    ``why`` the last error and ``outside`` a fit from the data's peak that the model's
    90% ``interval`` rules out.
    """
    low, high = interval
    fit, why, outside = None, None, None
    for start in (row["model_nn_distance"], None):
        try:
            trial = fit_first_shell(k, chi, row["absorbing_element"], neighbor, start,
                                    edge=row["edge"], coordination=coordination,
                                    k_range=k_range)
        except (ValueError, FeffError) as exc:
            why = f"no fit: {exc}"
            continue
        if trial.accepted and start is None and not low <= trial.distance <= high:
            # started away from the model, it found a shell the model rules out
            outside = f"fit at {trial.distance:.2f} A, outside the model's 90% interval"
            continue
        if trial.accepted:
            return trial, why, outside
        if fit is None or trial.r_factor < fit.r_factor:
            fit = trial
    return fit, why, outside


def nearest_training_spectra(data, *, n_neighbors=3, model="nn-distance-exafs"):
    """The training spectra a shipped model finds nearest to each spectrum of ``data``.

    The distance model keeps (a seeded sample of) its training rows for its
    applicability domain; the nearest of them, in its standardised features, are
    turned back into chi(k) on the model's k grid, so that a measured spectrum can be
    looked at beside the theory the answer rests on
    (:func:`sklearn_xas.plotting.plot_measured_chi` draws both).

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        Measured or simulated spectra, as for :func:`describe_sites`.
    n_neighbors : int, default=3
        Training spectra per spectrum.
    model : str, default="nn-distance-exafs"
        A shipped model whose final step has ``nearest_training_rows`` and whose
        features include the k-weighted chi(k).

    Returns
    -------
    neighbors : pandas.DataFrame
        One EXAFS row per (spectrum, neighbour), in the data model's columns
        (``material_id`` says which training neighbour of which spectrum it is,
        ``absorbing_element`` is the training row's; ``x`` is k, ``y`` chi(k)), plus
        ``query`` (the position of the spectrum in ``data``), ``rank`` (1 = nearest)
        and ``distance`` (in the model's standardised features).

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pretrained import nearest_training_spectra
    >>> near = nearest_training_spectra(load_prototype_exafs(elements=["Cu"])[:1])
    >>> near[["query", "rank"]].values.tolist()
    [[0, 1], [0, 2], [0, 3]]
    """
    from pymatgen.core import Element

    frame = to_chi(data)
    pipe = load_pretrained(model).model
    final = pipe.steps[-1][1]
    if not hasattr(final, "nearest_training_rows"):
        raise ValueError(f"model {model!r} keeps no training rows ({type(final).__name__}).")
    names = [str(n) for n in pipe[:-1].get_feature_names_out()]
    kcols = [i for i, n in enumerate(names) if "__chi_k" in n]
    weighters = [v for v in pipe.get_params().values() if isinstance(v, KWeighter)]
    if not kcols or "element__Z" not in names or len(weighters) != 1:
        raise ValueError(f"model {model!r} has no k-weighted chi(k) and absorber Z features.")
    k = np.array([float(names[i].rsplit("chi_k", 1)[1]) for i in kcols])
    weight = k ** float(weighters[0].kweight)
    dist, rows = final.nearest_training_rows(pipe[:-1].transform(frame), n_neighbors)
    out = []
    for q, (d_row, r_rows) in enumerate(zip(dist, rows)):
        query = frame.iloc[q]
        for rank, (d, r) in enumerate(zip(d_row, r_rows), start=1):
            z = int(round(r[names.index("element__Z")]))
            out.append(dict(
                material_id=f"training neighbour {rank} of {query['material_id']}",
                absorbing_index=0, absorbing_element=Element.from_Z(z).symbol,
                # the training sets' edges (model cards): K up to Z = 56, L3 above
                edge="K" if z <= 56 else "L3", spectrum_type="EXAFS", structure=None, x=k,
                y=r[kcols] / weight, query=q, rank=rank, distance=float(d)))
    return pd.DataFrame(out)
