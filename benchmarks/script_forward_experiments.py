"""What each representation and model change adds to the forward recipe (Cu K-edge XANES).

Run from the project root (low priority on a shared machine)::

    nice python benchmarks/script_forward_experiments.py [--features] [--variants a,b]
        [--cache-dir DIR] [--out benchmarks/results/forward_experiments.csv]

Data and scoring are those of ``script_accuracy.py``'s forward part: OmniXAS's Cu K-edge
FEFF XANES on its grid and scale, fit on ``splits/Cu_FEFF_train.txt``, eta on
``splits/Cu_FEFF_val.txt``. Every variant is also scored on an inner split of the training
list (``GroupShuffleSplit`` by material, 15 %, seed 0: fit on the rest), the split on which
choices are made; the validation figure is reported beside it.

Features are computed once per representation and cached under ``--cache-dir`` as arrays
(CHGNet's five stages, SevenNet's invariants, the element-weighted radial distribution,
absorber-centred SOAP from dscribe, the mean CHGNet embedding of the neighbour shells),
so that a variant costs only its fit. Without the shared data the script says so and
exits with status 0.
"""

import argparse
import contextlib
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from script_accuracy import CU_ARCHIVE, cu_split, load_tree, omnixas_targets  # noqa: E402

from sklearn_xas.metrics import eta_score  # noqa: E402


def soap_features(frame, *, r_cut=6.0, n_max=6, l_max=4, sigma=0.5, compression="mu1nu1"):
    """Absorber-centred SOAP (dscribe) of every row; species: all elements of the frame."""
    from dscribe.descriptors import SOAP
    from pymatgen.io.ase import AseAtomsAdaptor

    species = sorted({el.symbol for s in frame["structure"] for el in s.composition.elements})
    soap = SOAP(species=species, periodic=True, r_cut=r_cut, n_max=n_max, l_max=l_max,
                sigma=sigma, compression={"mode": compression}, sparse=False)
    out = []
    for s, i in zip(frame["structure"], frame["absorbing_index"]):
        atoms = AseAtomsAdaptor.get_atoms(s)
        out.append(soap.create(atoms, centers=[int(i)])[0])
    return np.asarray(out, dtype=np.float32), species


def neighbor_shell_embeddings(frame, cache_dir, *, first=1.15, outer=4.0):
    """Mean CHGNet embedding (5 stages) of the first shell and of the shell out to ``outer``.

    The first shell: atoms within ``first`` x the nearest-neighbour distance of the
    absorber; the second: the rest within ``outer`` A (weights 1 / r**2 in each). The
    neighbours' embeddings come from the same cached CHGNet pass as the absorber's.
    """
    import pandas as pd

    from sklearn_xas.featurizers import CHGNetSiteEmbedder
    from sklearn_xas.pipelines import CHGNET_LAYERS

    rows, owner, weight, shell = [], [], [], []
    for r, (s, i) in enumerate(zip(frame["structure"], frame["absorbing_index"])):
        nbrs = s.get_neighbors(s[int(i)], outer)
        d_min = min(n.nn_distance for n in nbrs)
        for n in nbrs:
            rows.append((s, int(n.index)))
            owner.append(r)
            weight.append(1.0 / n.nn_distance**2)
            shell.append(0 if n.nn_distance <= first * d_min else 1)
    expanded = pd.DataFrame({"structure": [s for s, _ in rows],
                             "absorbing_index": [j for _, j in rows],
                             "material_id": [frame["material_id"].iloc[o] for o in owner]})
    E = CHGNetSiteEmbedder(layer=CHGNET_LAYERS, device="cpu",
                           cache=str(cache_dir / "chgnet-cache")).fit_transform(expanded)
    owner, weight, shell = np.asarray(owner), np.asarray(weight), np.asarray(shell)
    out = np.zeros((len(frame), 2, E.shape[1]))
    norm = np.zeros((len(frame), 2, 1))
    np.add.at(out, (owner, shell), weight[:, None] * E)
    np.add.at(norm, (owner, shell), weight[:, None])
    return (out / np.maximum(norm, 1e-12)).reshape(len(frame), -1)


def features(name, frame, cache_dir):
    """(n_rows, n_features) of one representation, cached as ``<name>.npy``."""
    path = cache_dir / f"{name}.npy"
    if path.is_file():
        return np.load(path)
    t0 = time.perf_counter()
    if name == "chgnet":
        from sklearn_xas.featurizers import CHGNetSiteEmbedder
        from sklearn_xas.pipelines import CHGNET_LAYERS

        X = CHGNetSiteEmbedder(layer=CHGNET_LAYERS, device="cpu",
                               cache=str(cache_dir / "chgnet-cache")).fit_transform(frame)
    elif name == "chgnet_nbr":
        X = neighbor_shell_embeddings(frame, cache_dir)
    elif name == "rdf":
        from sklearn_xas.featurizers import AbsorberRDFFeaturizer

        X = AbsorberRDFFeaturizer().fit_transform(frame)
    elif name == "rdf_angular":
        from sklearn_xas.featurizers import AbsorberRDFFeaturizer

        X = AbsorberRDFFeaturizer(angular=True).fit_transform(frame)
    elif name == "cnnf":
        from matminer.featurizers.site import CrystalNNFingerprint

        from sklearn_xas.featurizers import AbsorberSiteFeaturizer

        X = AbsorberSiteFeaturizer([CrystalNNFingerprint.from_preset("ops")],
                                   n_jobs=1).fit_transform(frame)
    elif name.startswith("sevennet"):
        from sklearn_xas.featurizers import SevenNetSiteEmbedder

        model = {"sevennet": "7net-0", "sevennet_l3i5": "7net-l3i5"}[name]
        X = SevenNetSiteEmbedder(model_name=model, device="cpu",
                                 cache=str(cache_dir / "sevennet-cache")).fit_transform(frame)
    elif name.startswith("soap"):
        kw = {"soap": {}, "soap_mu2": {"compression": "mu2"},
              "soap_small": {"n_max": 4, "l_max": 3, "r_cut": 5.0}}[name]
        X, _ = soap_features(frame, **kw)
    else:
        raise ValueError(name)
    X = np.asarray(X, dtype=np.float32)
    np.save(path, X)
    print(f"  {name}: {X.shape} in {time.perf_counter() - t0:.0f} s", flush=True)
    return X


#: Feature sets: which cached representations are stacked side by side.
FEATURE_SETS = {
    "chgnet": ("chgnet",),
    "chgnet+rdf": ("chgnet", "rdf"),
    "chgnet+rdf_angular": ("chgnet", "rdf_angular"),
    "chgnet+rdf+soap_small": ("chgnet", "rdf", "soap_small"),
    "chgnet+soap_small": ("chgnet", "soap_small"),
    "chgnet+rdf+soap_mu2": ("chgnet", "rdf", "soap_mu2"),
    "chgnet+rdf+soap": ("chgnet", "rdf", "soap"),
    "soap": ("soap",),
    "rdf+soap_small": ("rdf", "soap_small"),
    "chgnet+rdf+cnnf": ("chgnet", "rdf", "cnnf"),
    "sevennet": ("sevennet",),
    "sevennet+rdf": ("sevennet", "rdf"),
    "chgnet+rdf+sevennet": ("chgnet", "rdf", "sevennet"),
    "chgnet+rdf+sevennet+soap_mu2": ("chgnet", "rdf", "sevennet", "soap_mu2"),
    "chgnet+rdf+sevennet_l3i5": ("chgnet", "rdf", "sevennet_l3i5"),
    "chgnet+rdf+soap_mu2+cnnf": ("chgnet", "rdf", "soap_mu2", "cnnf"),
    "chgnet+rdf+sevennet+chgnet_nbr": ("chgnet", "rdf", "sevennet", "chgnet_nbr"),
}

#: Variants: (feature set, SpectrumRegressor parameters). "default" is the recipe's
#: regressor with one network (members of the 5-network default are scored as such).
VARIANTS = {
    "default-1": ("chgnet+rdf", {}),
    "chgnet-1": ("chgnet", {}),
    "angular-1": ("chgnet+rdf_angular", {}),
    "soap_small-1": ("chgnet+rdf+soap_small", {}),
    "soap_mu2-1": ("chgnet+rdf+soap_mu2", {}),
    "soap-1": ("chgnet+rdf+soap", {}),
    "soap_only-1": ("soap", {}),
    "nochgnet-1": ("rdf+soap_small", {}),
    "wide-1": ("chgnet+rdf", {"hidden_layer_sizes": (1024, 1024)}),
    "deep-1": ("chgnet+rdf", {"hidden_layer_sizes": (512, 512, 512)}),
    "dropout3-1": ("chgnet+rdf", {"dropout": 0.3}),
    "deriv-1": ("chgnet+rdf", {"derivative_weight": 0.5}),
    "cosine-1": ("chgnet+rdf", {"lr_schedule": "cosine", "max_epochs": 300}),
    "wd3-1": ("chgnet+rdf", {"weight_decay": 1e-2}),
    "bs32-1": ("chgnet+rdf", {"batch_size": 32}),
    "default-5": ("chgnet+rdf", {"n_ensemble": 5}),
    "soap_mu2-5": ("chgnet+rdf+soap_mu2", {"n_ensemble": 5}),
    "cnnf-1": ("chgnet+rdf+cnnf", {}),
    "cnnf_soap-1": ("chgnet+rdf+soap_mu2+cnnf", {}),
    "cnnf_soap-5": ("chgnet+rdf+soap_mu2+cnnf", {"n_ensemble": 5}),
    "sevennet_only-1": ("sevennet", {}),
    "sevennet_rdf-1": ("sevennet+rdf", {}),
    "sevennet-1": ("chgnet+rdf+sevennet", {}),
    "sevennet-5": ("chgnet+rdf+sevennet", {"n_ensemble": 5}),
    "sevennet_soap-1": ("chgnet+rdf+sevennet+soap_mu2", {}),
    "l3i5-1": ("chgnet+rdf+sevennet_l3i5", {}),
    # model changes on the recipe's features (CHGNet + RDF + SevenNet-0)
    "trees_sn": ("chgnet+rdf+sevennet", {"backend": "extra_trees", "n_estimators": 100}),
    "stack_sn-1": ("chgnet+rdf+sevennet",
                   {"stack": [{}, {"backend": "extra_trees", "n_estimators": 100}]}),
    "pca32_sn-1": ("chgnet+rdf+sevennet", {"target_pca": 32}),
    "pca32raw_sn-1": ("chgnet+rdf+sevennet", {"target_pca": 32, "standardize_targets": False}),
    "knn_sn": ("chgnet+rdf+sevennet", {"backend": "knn"}),
    "raw_sn-1": ("chgnet+rdf+sevennet", {"standardize_targets": False}),
    "nbr_sn-1": ("chgnet+rdf+sevennet+chgnet_nbr", {}),
    "origmse_sn-1": ("chgnet+rdf+sevennet", {"loss": "mse"}),
    "baseline_sn-1": ("chgnet+rdf+sevennet", {}),
    "baseline_sn-5": ("chgnet+rdf+sevennet", {"n_ensemble": 5}),
    "sevennet-10": ("chgnet+rdf+sevennet", {"n_ensemble": 10}),
    "rmse_sn-1": ("chgnet+rdf+sevennet", {"loss": "rmse"}),
    "drop3_sn-1": ("chgnet+rdf+sevennet", {"dropout": 0.3}),
    "xpca256_sn-1": ("chgnet+rdf+sevennet", {"input_pca": 256}),
    "small_sn-1": ("chgnet+rdf+sevennet", {"hidden_layer_sizes": (256, 256)}),
}


#: What each variant changes, for the results page.
DESCRIPTIONS = {
    "default-1": "the recipe's features (CHGNet 5 stages + RDF), one network",
    "chgnet-1": "CHGNet embedding alone",
    "angular-1": "+ first-shell bond-angle terms in the RDF",
    "soap_small-1": "+ SOAP (dscribe; n_max 4, l_max 3, r_cut 5, one channel per element)",
    "soap_mu2-1": "+ species-blind SOAP (dscribe, n_max 6, l_max 4, r_cut 6, mu2)",
    "soap-1": "+ SOAP (n_max 6, l_max 4, one channel per element)",
    "soap_only-1": "SOAP alone",
    "nochgnet-1": "RDF + SOAP, no CHGNet",
    "wide-1": "(1024, 1024) hidden units",
    "deep-1": "three hidden layers of 512",
    "dropout3-1": "dropout 0.3",
    "deriv-1": "loss + 0.5 x MSE of the first derivative",
    "cosine-1": "cosine learning-rate schedule, 300 epochs",
    "wd3-1": "weight decay 1e-2",
    "bs32-1": "batch size 32",
    "default-5": "the default recipe: 5 networks averaged",
    "soap_mu2-5": "+ species-blind SOAP, 5 networks averaged",
    "cnnf-1": "+ CrystalNN site fingerprint (matminer, ops preset: local geometry)",
    "cnnf_soap-1": "+ species-blind SOAP + CrystalNN fingerprint",
    "cnnf_soap-5": "+ species-blind SOAP + CrystalNN fingerprint, 5 networks averaged",
    "sevennet_only-1": "SevenNet-0 embedding alone (5 blocks' invariants at the absorber)",
    "sevennet_rdf-1": "SevenNet-0 embedding + RDF, no CHGNet",
    "sevennet-1": "+ SevenNet-0 embedding",
    "sevennet-5": "+ SevenNet-0 embedding, 5 networks averaged",
    "sevennet_soap-1": "+ SevenNet-0 embedding + species-blind SOAP",
    "l3i5-1": "+ SevenNet-l3i5 embedding (with l = 3 channels)",
    "trees_sn": "recipe features, 100 extremely randomised trees instead of the network",
    "stack_sn-1": "recipe features, mean of one network and 100 extra trees",
    "pca32_sn-1": "recipe features, the network predicts 32 PCA scores of the spectrum",
    "pca32raw_sn-1": "as pca32_sn-1, scores not standardised (the loss is the spectrum's MSE)",
    "knn_sn": "recipe features, 5 nearest neighbours instead of the network",
    "raw_sn-1": "recipe features, targets not standardised per point (loss: the spectrum's MSE)",
    "drop3_sn-1": "recipe features, dropout 0.3",
    "nbr_sn-1": "+ mean CHGNet embedding of the first shell and of the atoms out to 4 A",
    "grouped_sn-1": "recipe features, early stopping on held-out materials, not rows "
                    "(measured at commit 2abe0c5, not kept)",
    "origmse_sn-1": "recipe features, loss: MSE in the spectra's units (not per point)",
    "baseline_sn-1": "as sevennet-1, run again beside the variants below it (same run)",
    "baseline_sn-5": "as sevennet-5, run again beside sevennet-10 (same run)",
    "sevennet-10": "+ SevenNet-0 embedding, 10 networks averaged",
    "rmse_sn-1": "recipe features, loss: mean per-spectrum RMS error in the spectra's units",
    "xpca256_sn-1": "recipe features reduced to 256 principal components",
    "small_sn-1": "recipe features, (256, 256) hidden units",
}


@contextlib.contextmanager
def _criterion(kind):
    """Within the block, SpectrumRegressor trains on a loss in the spectra's own units.

    For the ``"loss"`` variants only (``None``: the estimator's own loss, untouched).

    ``"mse"``: the mean squared error of the spectrum (per-point standardisation then
    only parametrises the network); ``"rmse"``: the mean over spectra of each one's RMS
    error, which weighs the typical spectrum more than the outliers, as eta's median does.
    """
    import torch

    from sklearn_xas.estimators import SpectrumLoss, _spectrum_regressor

    class Loss(SpectrumLoss):
        def forward(self, y_pred, y_true):
            e2 = ((y_pred - y_true) * self.scale).pow(2).mean(dim=1)
            return e2.mean() if kind == "mse" else torch.sqrt(e2 + 1e-8).mean()

    if kind:
        _spectrum_regressor.SpectrumLoss = Loss
    try:
        yield
    finally:
        _spectrum_regressor.SpectrumLoss = SpectrumLoss


def write_rst(table, path):
    """The table of variants for the results page (reStructuredText)."""
    from _accuracy_report import list_table

    table = table.sort_values(["variant", "seed"])
    rows = [[r.variant, DESCRIPTIONS.get(r.variant, r.params), str(r.n_features),
             f"{r.eta_inner:.2f}", f"{r.eta_val:.2f}", f"{r.fit_s_val:.0f}"]
            for r in table.itertuples()]
    lines = [
        ".. rubric:: Forward: what each representation and model change adds", "",
        "Cu K-edge FEFF XANES on OmniXAS's grid and scale; each variant fitted on an "
        "inner split of OmniXAS's training list (85 % of its materials) and scored on "
        "the rest (``eta inner``, where choices are made), then fitted on the whole "
        "training list and scored on OmniXAS's validation list (``eta val``); one seed, "
        "one network unless said (``benchmarks/script_forward_experiments.py``; fit "
        "seconds on a shared 2-core machine, features from the cache).", "",
    ]
    lines += list_table("Forward variants: eta on the inner split and on the validation list",
                        ["variant", "change", "features", "eta inner", "eta val", "fit (s)"],
                        rows)
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def run_variant(name, X, Y, train, val, inner_fit, inner_val, seed):
    """Fit the variant on the inner split and on the full training list; two etas."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_xas.estimators import SpectrumRegressor

    _, params = VARIANTS[name]
    row = dict(variant=name, features=VARIANTS[name][0], params=repr(params), seed=seed,
               n_features=X.shape[1])
    params = dict(params)
    n_pca = params.pop("target_pca", None)
    n_xpca = params.pop("input_pca", None)
    loss = params.pop("loss", None)
    members = params.pop("stack", None) or [params]  # a stack: its members' mean
    for split, fit_idx, test_idx in (("inner", inner_fit, inner_val), ("val", train, val)):
        models = []
        for member in members:
            steps = [StandardScaler()] + ([PCA(n_xpca, random_state=seed)] if n_xpca else [])
            model = make_pipeline(*steps, SpectrumRegressor(
                device="cpu", random_state=seed, **{"n_ensemble": 1, **member}))
            if n_pca:
                model = TransformedTargetRegressor(model, transformer=PCA(n_pca),
                                                   check_inverse=False)
            models.append(model)
        t0 = time.perf_counter()
        with _criterion(loss):
            for model in models:
                model.fit(X[fit_idx], Y[fit_idx])
        t1 = time.perf_counter()
        pred = np.mean([model.predict(X[test_idx]) for model in models], axis=0)
        row[f"eta_{split}"] = eta_score(Y[test_idx], pred, Y[fit_idx].mean(axis=0))
        row[f"fit_s_{split}"] = t1 - t0
        row[f"predict_s_{split}"] = time.perf_counter() - t1
    return row


def main(argv=None):
    import pandas as pd
    from sklearn.model_selection import GroupShuffleSplit

    from sklearn_xas.utils._shared_data import shared_archive

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--seeds", default="0")
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=HERE / "results" / "forward_experiments.csv")
    p.add_argument("--rst", type=Path, default=HERE.parent / "doc" / "results"
                   / "forward_experiments.rst")
    args = p.parse_args(argv)
    if shared_archive(CU_ARCHIVE) is None:
        print(f"shared data ({CU_ARCHIVE}) not found: nothing to measure")
        return 0
    from sklearn_xas.datasets import get_data_home

    cache_dir = args.cache_dir or Path(get_data_home()) / "forward-exp"
    cache_dir.mkdir(parents=True, exist_ok=True)
    root, frame = load_tree(CU_ARCHIVE, "XANES")
    train, val = cu_split(frame, root)
    rows = np.sort(np.concatenate([train, val]))
    frame = frame.iloc[rows].reset_index(drop=True)
    train, val = np.searchsorted(rows, train), np.searchsorted(rows, val)
    Y = omnixas_targets(frame)
    groups = frame["material_id"].to_numpy()[train]
    gss = GroupShuffleSplit(n_splits=1, test_size=0.15, random_state=0)
    a, b = next(gss.split(train, groups=groups))
    inner_fit, inner_val = train[a], train[b]
    print(f"{len(train)} train ({len(inner_fit)} inner fit / {len(inner_val)} inner val), "
          f"{len(val)} val", flush=True)
    done = pd.read_csv(args.out) if args.out.is_file() else pd.DataFrame()
    for name in args.variants.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            if len(done) and ((done["variant"] == name) & (done["seed"] == seed)).any():
                continue
            X = np.hstack([features(f, frame, cache_dir)
                           for f in FEATURE_SETS[VARIANTS[name][0]]]).astype(np.float32)
            row = run_variant(name, X, Y, train, val, inner_fit, inner_val, seed)
            print(f"  {name:16s} seed {seed}: eta inner {row['eta_inner']:.2f}  "
                  f"val {row['eta_val']:.2f}  fit {row['fit_s_val']:.0f} s", flush=True)
            done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            done.to_csv(args.out, index=False)
    if len(done):
        print(f"wrote {write_rst(done, args.rst)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
