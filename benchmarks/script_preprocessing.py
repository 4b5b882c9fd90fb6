"""Throughput of resampling and normalisation on all Cu spectra, and E0 - tabulated edge.

Run from the project root (``../shared/data`` must hold the Cu archive)::

    nice python benchmarks/script_preprocessing.py [--repeat 3] [--baseline-sites 500]

Prints:

- throughput (spectra/s, best of ``--repeat``; wall and CPU seconds for all spectra) of
  :class:`SpectrumResampler` (``e0=None``, ``"tabulated"``,
  ``"data"``) and :class:`EdgeStepNormalizer` (``"edge_step"``, ``"max"``) on all
  4,831 Cu K-edge FEFF9 spectra (173 points each), next to the baselines one writes
  first, run in the same process: a ``numpy.interp`` loop per spectrum (plus a
  ``find_e0`` call per spectrum for ``data_e0``), and larch's ``pre_edge`` per spectrum
  (on ``--baseline-sites`` spectra, times scaled to all spectra); the ratios are
  baseline time / ours (above 1: ours is faster);
- the distribution of E0 found from the data minus the tabulated Cu K edge (8979 eV)
  over all Cu spectra (median, quartiles, IQR, min/max), for the default window and for
  the raw derivative;
- how well E0 from the data lines the edges up: the share of spectra whose steepest
  rise, once resampled relative to E0 on 0.5 eV and 1 eV grids, sits at 0 within a
  grid step.

The machine may be shared: CPU seconds are the steadier figure.
"""

import argparse
import sys
import time
import warnings

import numpy as np


def _best(fn, repeat):
    """(result, best wall seconds, CPU seconds of that run)."""
    best = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        run = (time.perf_counter() - wall, time.process_time() - cpu)
        if best is None or run[0] < best[0]:
            best = run
    return out, best[0], best[1]


def load_cu():
    from sklearn_xas.datasets import load_feff_tree
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive("omnixas-cu-feff-xanes.tar.gz")
    if root is None:
        sys.exit("The Cu archive is not in ../shared/data (or $SKLEARN_XAS_SHARED_DATA).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_feff_tree(root, kinds=("XANES",)).frame


def naive_resample(frame, grid, e0=None):
    out = np.empty((len(frame), grid.size))
    for i, (x, y) in enumerate(zip(frame["x"], frame["y"])):
        shift = 0.0 if e0 is None else e0(x, y)
        out[i] = np.interp(grid + shift, x, y)
    return out


def larch_pre_edge(frame):
    from larch import Group
    from larch.xafs import pre_edge

    out = []
    for x, y in zip(frame["x"], frame["y"]):
        group = Group(energy=x, mu=y)
        pre_edge(group)
        out.append(group.norm)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-sites", type=int, default=500,
                        help="spectra for the slow larch baseline (rates are per spectrum)")
    args = parser.parse_args(argv)

    from sklearn_xas._core import frame_e0
    from sklearn_xas.preprocessing import EdgeStepNormalizer, SpectrumResampler, find_e0

    t0 = time.perf_counter()
    frame = load_cu()
    n = len(frame)
    npts = int(np.median([x.size for x in frame["x"]]))
    print(f"{n} Cu K-edge spectra ({npts} points each, median) loaded in "
          f"{time.perf_counter() - t0:.1f} s\n")

    rows = []

    def record(name, ours, base=None, n_base=None):
        _, wall, cpu = ours
        line = [name, f"{n / wall:,.0f}", f"{wall:.3f}", f"{cpu:.3f}"]
        if base is not None:
            line += [f"{n_base / base[1]:,.0f}", f"{base[1] * n / n_base:.3f}",
                     f"{base[2] * n / n_base:.3f}",
                     f"{(base[1] / n_base) / (wall / n):.1f}x",
                     f"{(base[2] / n_base) / (cpu / n):.1f}x"]
        else:
            line += [""] * 5
        rows.append(line)

    abs_grid = np.linspace(9000.0, 9100.0, 201)
    rel_grid = np.linspace(-10.0, 100.0, 221)
    tab_grid = rel_grid + 20.0
    cases = [
        ("resample absolute", dict(grid=abs_grid), None),
        ("resample tabulated_e0", dict(grid=tab_grid, e0="tabulated"), None),
        ("resample data_e0", dict(grid=rel_grid, e0="data"), find_e0),
    ]
    for name, params, e0 in cases:
        res = SpectrumResampler(outside="edge", **params).fit(frame)
        ours = _best(lambda res=res: res.transform(frame), args.repeat)
        grid = abs_grid if name.endswith("absolute") else params["grid"]
        if name.endswith("tabulated_e0"):
            grid = grid + 8979.0
        base = _best(lambda grid=grid, e0=e0: naive_resample(frame, grid, e0), args.repeat)
        np.testing.assert_allclose(ours[0], base[0], atol=1e-9)  # same numbers
        record(name, ours, base, n)

    for mode in ("edge_step", "max"):
        norm = EdgeStepNormalizer(mode=mode)
        ours = _best(lambda norm=norm: norm.transform(frame), args.repeat)
        base, nb = None, None
        if mode == "edge_step":
            try:
                import larch  # noqa: F401
            except ImportError:
                pass
            else:
                sub = frame.iloc[: args.baseline_sites]
                base, nb = _best(lambda sub=sub: larch_pre_edge(sub), 1), len(sub)
        record(f"normalise {mode}", ours, base, nb)
    pipeline = _best(lambda: SpectrumResampler(grid=rel_grid, e0="data",
                                               outside="edge").fit_transform(
        EdgeStepNormalizer().transform(frame)), args.repeat)
    record("normalise + resample data_e0", pipeline)

    head = ["step", "spectra/s", "wall s", "CPU s", "base spectra/s", "base wall s",
            "base CPU s", "wall ratio", "CPU ratio"]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print(f"Throughput (best of {args.repeat}; baseline: np.interp loop, + find_e0 per "
          "spectrum for data_e0; larch pre_edge per spectrum)")
    for r in [head] + rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))

    print("\nE0 from the data minus the tabulated Cu K edge (8979 eV), all spectra:")
    for label, smooth in (("window +-0.5 eV (default)", 0.5), ("raw derivative", 0.0)):
        d = frame_e0(frame, smooth=smooth) - 8979.0
        q = np.percentile(d, [0, 5, 25, 50, 75, 95, 100])
        print(f"  {label:26s} median {q[3]:6.2f} eV  IQR {q[4] - q[2]:5.2f} eV "
              f"[{q[2]:.2f}, {q[4]:.2f}]  5-95% [{q[1]:.2f}, {q[5]:.2f}]  "
              f"min {q[0]:.2f}  max {q[6]:.2f}  mean {d.mean():.2f}  sd {d.std():.2f}")

    print("\nEdges lined up by data E0 (steepest rise of the resampled spectrum at 0 within "
          "a grid step):")
    for step in (0.5, 1.0):
        grid = np.arange(-8.0, 40.0 + 1e-9, step)
        for label, ref, g in (("data E0", "data", grid),
                              ("tabulated E0 (shifted by the median)", "tabulated",
                               grid + 17.9)):
            X = SpectrumResampler(grid=g, e0=ref, outside="edge").fit_transform(frame)
            rise = g[np.argmax(np.gradient(X, g, axis=1), axis=1)]
            centre = 0.0 if ref == "data" else np.median(rise)
            share = np.mean(np.abs(rise - centre) <= step + 1e-9)
            print(f"  grid step {step} eV, {label:38s}: {100 * share:5.1f} % of {n}")


if __name__ == "__main__":
    main()
