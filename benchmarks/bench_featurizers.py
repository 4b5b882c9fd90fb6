"""Featurizing the absorbing site: smeared RDF, matminer CrystalNN fingerprint, CHGNet."""

import warnings

from matminer.featurizers.site import CrystalNNFingerprint

from sklearn_xas.featurizers import (
    AbsorberRDFFeaturizer,
    AbsorberSiteFeaturizer,
    CHGNetSiteEmbedder,
)

from .common import (
    N_SITES,
    Benchmark,
    Transformer,
    check_device,
    get_frame,
    head_sites,
    warm_workers,
)


class _SiteFeaturizer(Transformer):
    """Transform ``n_sites`` rows of the cached (multi-element EXAFS) frame.

    ``setup`` starts joblib's worker processes (``n_jobs`` > 1) and transforms two rows,
    so that the timings do not include starting the workers or loading a model.
    """

    def setup(self, cache, n_sites, other):
        self.X_test = head_sites(get_frame(cache, "exafs"), n_sites)
        self.estimator = self.make_estimator((n_sites, other)).fit(self.X_test)
        if isinstance(other, int):
            warm_workers(other, "sklearn_xas.featurizers")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.estimator.transform(self.X_test.iloc[-2:])


class AbsorberRDFFeaturizerBench(_SiteFeaturizer, Benchmark):
    """The element-weighted, smeared radial distribution around the absorber."""

    param_names = ["n_sites", "n_jobs"]
    params = (N_SITES, [1, 2])

    def make_estimator(self, params):
        return AbsorberRDFFeaturizer(n_jobs=params[1], cache=False, progress=False)


class CrystalNNFingerprintBench(_SiteFeaturizer, Benchmark):
    """matminer's CrystalNN site fingerprint ("ops") through AbsorberSiteFeaturizer."""

    param_names = ["n_sites", "n_jobs"]
    params = ([10, 30], [1, 2])

    def make_estimator(self, params):
        return AbsorberSiteFeaturizer(
            CrystalNNFingerprint.from_preset("ops"),
            n_jobs=params[1],
            on_error="nan",
            cache=False,
            progress=False,
        )

    def peakmem_transform(self, cache, n_sites, n_jobs):
        """Not measured: the memory of matminer's CrystalNN is not ours to track."""

    peakmem_transform.skip_benchmark = True


class CHGNetSiteEmbedderBench(_SiteFeaturizer, Benchmark):
    """The absorbing site's embedding by the pretrained CHGNet."""

    param_names = ["n_sites", "device"]
    params = ([20, 60], ["cpu", "cuda"])

    def setup(self, cache, n_sites, device):
        check_device(device)
        super().setup(cache, n_sites, device)

    def make_estimator(self, params):
        return CHGNetSiteEmbedder(device=params[1], cache=False, progress=False)
