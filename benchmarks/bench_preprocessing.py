"""Spectrum preprocessing: onto a common grid, edge-step normalisation, Fourier transform."""

from sklearn_xas.preprocessing import (
    ChiFourierTransform,
    EdgeStepNormalizer,
    SpectrumResampler,
)

from .common import K_GRID, N_SITES, Benchmark, Transformer, get_frame, head_sites


class _FrameTransformer(Transformer):
    """Fit on ``n_sites`` rows of a cached frame; transform the same rows."""

    kind = "xanes"

    def make_input(self, frame):
        return frame

    def setup(self, cache, n_sites):
        self.X_test = self.make_input(head_sites(get_frame(cache, self.kind), n_sites))
        self.estimator = self.make_estimator((n_sites,)).fit(self.X_test)


class SpectrumResamplerXANES(_FrameTransformer, Benchmark):
    """Cu XANES onto a grid relative to the E0 found from each spectrum."""

    param_names = ["n_sites"]
    params = (N_SITES,)

    def make_estimator(self, params):
        return SpectrumResampler(grid=(-10.0, 60.0, 141), e0="data", outside="edge")


class SpectrumResamplerEXAFS(_FrameTransformer, Benchmark):
    """EXAFS chi(k) onto a common k grid."""

    kind = "exafs"
    param_names = ["n_sites"]
    params = (N_SITES,)

    def make_estimator(self, params):
        return SpectrumResampler(grid=K_GRID)


class EdgeStepNormalizerXANES(_FrameTransformer, Benchmark):
    """Cu XANES normalised to a unit edge step, each on its own grid (frame to frame)."""

    param_names = ["n_sites"]
    params = (N_SITES,)

    def make_estimator(self, params):
        return EdgeStepNormalizer()


class ChiFourierTransformEXAFS(_FrameTransformer, Benchmark):
    """|chi(R)| of k^2-weighted chi(k) resampled on a common k grid."""

    kind = "exafs"
    param_names = ["n_sites"]
    params = (N_SITES,)

    def make_input(self, frame):
        return SpectrumResampler(grid=K_GRID).fit_transform(frame)

    def make_estimator(self, params):
        return ChiFourierTransform(k=K_GRID, kweight=2)
