"""EXAFSExtractor against larch's ``autobk`` on every measured mu(E) row of the shared archive.

Run from the project root (low priority on a shared machine)::

    nice python benchmarks/script_autobk.py [--background autobk lsq] [--limit N]
        [--out benchmarks/results]

For every mu(E) row (``spectrum_type="XANES"``) that ``sklearn_xas.datasets.load`` reads
from ``measured-xafs.tar.gz`` (XDI, Athena groups, column files; plus the column files
in ``UNLABELLED``, which name no absorber, read with the absorber their names state;
rows whose arrays repeat an earlier row's exactly, the same group saved in several
projects, are counted once), that reaches k >= 8 1/A above its E0:

- E0 is found from the data (:func:`sklearn_xas.preprocessing.find_e0`, the E0 of
  ``EXAFSExtractor(e0="data")``) and given to larch too: ``pre_edge(e0=E0)`` for the
  edge step, then ``autobk(rbkg=1.0, kweight=--kweight, ek0=E0, edge_step=...)``
  (larch's defaults otherwise; ``--kweight`` 2 by default, Athena's, 1 is larch's),
  and ``EXAFSExtractor(rbkg=1.0, kweight=--kweight)``. Both sides then differ only
  by the background (and by how the edge step is fitted: ``step_ratio`` is ours /
  larch's, 1 when they agree).
- chi(k) from :class:`~sklearn_xas.preprocessing.EXAFSExtractor` for each
  ``--background``, compared with autobk's on k = 3 to ``min(12, reach)``: the RMS of
  the difference of k**2 chi(k), relative to the RMS of autobk's k**2 chi(k)
  (``rel_rms``), and the position of the first peak of |chi(R)| (Hanning window
  over the same k range, dk = 1, k-weight 2, R step 0.01 A; the first local maximum
  above R = 1 A at least 30 % as high as the largest there), ours minus autobk's
  (``dpeak``, A).
- wall time per spectrum: larch's ``autobk`` (one call per row) and ours (one
  ``transform`` over all rows, divided by their number).

Writes ``autobk_comparison_kw<K>.csv`` (one line per row) and
``autobk_summary_kw<K>.csv`` into ``--out``, prints both as markdown tables. Without
the shared data the script says so and exits with status 0.
"""

import argparse
import hashlib
import io
import sys
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd

ARCHIVE = "measured-xafs.tar.gz"
#: Shortest reach above E0 (1/A) for a comparison.
MIN_REACH = 8.0
KMIN, KMAX = 3.0, 12.0
RBKG = 1.0
#: Column files of the archive that name no absorber (``load`` skips them), with the
#: absorber and edge their names and headers state.
UNLABELLED = {
    "xraylarch/examples/xafsdata/cu.xmu": ("Cu", "K"),
    "xraylarch/examples/xafsdata/fe2o3_rt1.xmu": ("Fe", "K"),
    "xraylarch/examples/xafsdata/feo_xafs.dat": ("Fe", "K"),
    "xraylarch/examples/xafsdata/mn_cpmnco3.dat": ("Mn", "K"),
    "xraylarch/examples/xafsdata/sno2_l3.dat": ("Sn", "L3"),
}
#: R grid of the first-peak comparison.
DR = 0.01
R_FIRST = 1.0


def _rel(root, source):
    """The row's file relative to the archive root, without the group suffix."""
    path = str(source).split(" (group ")[0]
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def unique_rows(frame):
    """Positions of the rows whose (x, y) arrays appear for the first time."""
    seen, keep = set(), []
    for i, (x, y) in enumerate(zip(frame["x"], frame["y"])):
        key = hashlib.sha1(np.asarray(x).tobytes() + np.asarray(y).tobytes()).hexdigest()
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return np.array(keep, dtype=int)


def first_peak(r, mag):
    """First local maximum of |chi(R)| above R_FIRST at least 30 % as high as the
    largest value there (R, Angstrom; NaN when there is none)."""
    above = r > R_FIRST
    top = mag[above].max()
    inner = (mag[1:-1] > mag[:-2]) & (mag[1:-1] >= mag[2:])
    peaks = np.flatnonzero(inner) + 1
    peaks = peaks[above[peaks] & (mag[peaks] >= 0.3 * top)]
    return float(r[peaks[0]]) if peaks.size else np.nan


def chir(k, chi, kmax):
    """|chi(R)| of k**2 chi on R = 0, DR, ..., 6 (Hanning window, k = KMIN..kmax, dk = 1)."""
    from sklearn_xas.preprocessing import ChiFourierTransform

    ft = ChiFourierTransform(k=k, kweight=2, kmin=KMIN, kmax=kmax, dk=1.0, dr=DR)
    ft.fit(chi[None, :])
    return ft.r_, ft.transform(chi[None, :])[0]


def larch_chi(x, y, e0, kweight):
    """(k, chi, edge step, larch's own E0) from larch's pre_edge + autobk at our E0."""
    from larch import Group
    from larch.xafs import autobk, pre_edge

    quiet = io.StringIO()
    with redirect_stdout(quiet), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = Group()
        pre_edge(x, y, group=own)
        group = Group()
        pre_edge(x, y, group=group, e0=e0)
        t0 = time.perf_counter()
        autobk(x, y, group=group, rbkg=RBKG, kweight=kweight, ek0=e0,
               edge_step=group.edge_step)
        seconds = time.perf_counter() - t0
    return group.k, group.chi, float(group.edge_step), float(own.e0), seconds, group.norm


def step_ratio(x, norm_larch, norm_ours):
    """Our edge step over larch's: the slope of larch's normalised mu against ours,
    fitted with a line in E beside it (the pre-edge lines may differ)."""
    design = np.column_stack([norm_ours, np.ones_like(x), x - x[0]])
    coef = np.linalg.lstsq(design, norm_larch, rcond=None)[0]
    return float(coef[0])


def compare(frame, root, backgrounds, kweight):
    from sklearn_xas._core import edge_step
    from sklearn_xas.exceptions import XASDataError
    from sklearn_xas.preprocessing import EXAFSExtractor, energy_to_k, find_e0

    rows, ok = [], []
    for i, rec in enumerate(frame.itertuples()):
        x, y = np.asarray(rec.x, float), np.asarray(rec.y, float)
        out = dict(file=_rel(root, rec.source), group=rec.group,
                   element=rec.absorbing_element, edge=rec.edge, n_points=x.size)
        try:
            e0 = find_e0(x, y)
        except XASDataError as exc:
            rows.append(dict(out, skipped=f"E0: {exc}"))
            continue
        reach = float(energy_to_k(x[-1], e0))
        out.update(e0=e0, reach=reach)
        if reach < MIN_REACH:
            rows.append(dict(out, skipped=f"reaches k = {reach:.1f} < {MIN_REACH}"))
            continue
        try:
            lk, lchi, lstep, le0, lsec, lnorm = larch_chi(x, y, e0, kweight)
        except Exception as exc:  # larch's own failures are recorded, not fatal
            rows.append(dict(out, skipped=f"larch: {type(exc).__name__}: {exc}"))
            continue
        kmax = min(KMAX, reach, float(lk[-1]))
        q = 0.05 * np.arange(int(np.floor(kmax / 0.05 + 1e-9)) + 1)
        ref = np.interp(q, lk, lchi)
        window = q >= KMIN
        r, ref_r = chir(q, ref, kmax)
        ref_peak = first_peak(r, ref_r)
        norm_ours, bad, _ = edge_step(x[None], y[None], np.array([e0]))
        out.update(e0_larch_minus_ours=le0 - e0, kmax=kmax,
                   step_ratio=np.nan if bad[0] else step_ratio(x, lnorm, norm_ours[0]),
                   larch_seconds=lsec, r_peak_autobk=ref_peak)
        one = frame.iloc[[i]]
        try:
            for b in backgrounds:
                res = EXAFSExtractor(background=b, rbkg=RBKG, kweight=kweight).transform(one)
                chi = np.interp(q, res["x"].iloc[0], res["y"].iloc[0])
                diff = (chi - ref)[window] * q[window] ** 2
                scale = np.sqrt(np.mean((ref[window] * q[window] ** 2) ** 2))
                peak = first_peak(r, chir(q, chi, kmax)[1])
                out[f"rel_rms_{b}"] = float(np.sqrt(np.mean(diff**2)) / scale)
                out[f"r_peak_{b}"] = peak
                out[f"dpeak_{b}"] = peak - ref_peak
        except XASDataError as exc:
            rows.append(dict(out, skipped=f"EXAFSExtractor: {exc}"))
            continue
        rows.append(dict(out, skipped=""))
        ok.append(i)
    return pd.DataFrame(rows), np.array(ok, dtype=int)


def timings(frame, backgrounds, table, kweight):
    """Seconds per spectrum: ours (one transform over the compared rows) and larch's."""
    from sklearn_xas.preprocessing import EXAFSExtractor

    out = {"autobk (larch)": float(table["larch_seconds"].mean())}
    for b in backgrounds:
        t0 = time.perf_counter()
        EXAFSExtractor(background=b, rbkg=RBKG, kweight=kweight).transform(frame)
        out[f"EXAFSExtractor({b!r})"] = (time.perf_counter() - t0) / max(len(frame), 1)
    return out


def summary(table, backgrounds, seconds):
    done = table[table["skipped"] == ""]
    lines = []
    for b in backgrounds:
        rel, dp = done[f"rel_rms_{b}"], done[f"dpeak_{b}"].abs()
        lines.append({
            "method": f"EXAFSExtractor(background={b!r})",
            "n": len(done),
            "median rel RMS": rel.median(),
            "90th pct rel RMS": rel.quantile(0.9),
            "rel RMS < 5 %": (rel < 0.05).mean(),
            "rel RMS < 10 %": (rel < 0.10).mean(),
            "median |dR| (A)": dp.median(),
            "|dR| <= 0.02 A": (dp <= 0.02 + 1e-9).mean(),
            "|dR| <= 0.05 A": (dp <= 0.05 + 1e-9).mean(),
            "s / spectrum": seconds[f"EXAFSExtractor({b!r})"],
        })
    lines.append({"method": "autobk (larch 2026.3, reference)", "n": len(done),
                  "s / spectrum": seconds["autobk (larch)"]})
    return pd.DataFrame(lines)


def markdown(df, floatfmt=".3g"):
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if np.isnan(v) else format(v, floatfmt))
            else:
                cells.append("" if v is None else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", nargs="+", default=["autobk", "lsq"],
                        choices=["autobk", "lsq"])
    parser.add_argument("--kweight", type=float, default=2.0,
                        help="k-weight of the background criterion, both sides")
    parser.add_argument("--limit", type=int, default=None,
                        help="compare only the first N rows (a smoke test)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)

    from sklearn_xas.datasets import load
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive(ARCHIVE)
    if root is None:
        print(f"{ARCHIVE} not found in ../shared/data (or $SKLEARN_XAS_SHARED_DATA); nothing "
              "to compare.")
        return 0
    try:
        import larch  # noqa: F401
    except ImportError:
        print("xraylarch is not installed (pip install xraylarch); nothing to compare.")
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = [load(root, on_error="skip", recursive=True).frame]
        frames += [load(root / name, element=el, edge=edge).frame
                   for name, (el, edge) in UNLABELLED.items() if (root / name).is_file()]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["spectrum_type"] == "XANES"].reset_index(drop=True)
    n_all = len(frame)
    frame = frame.iloc[unique_rows(frame)].reset_index(drop=True)
    if args.limit:
        frame = frame.iloc[: args.limit].reset_index(drop=True)
    print(f"{n_all} mu(E) rows, {len(frame)} distinct", flush=True)
    t0 = time.perf_counter()
    table, ok = compare(frame, root, args.background, args.kweight)
    seconds = timings(frame.iloc[ok], args.background, table.iloc[ok] if len(ok) else table,
                      args.kweight)
    summ = summary(table, args.background, seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = f"kw{args.kweight:g}"
    table.to_csv(args.out / f"autobk_comparison_{tag}.csv", index=False, float_format="%.5g")
    summ.to_csv(args.out / f"autobk_summary_{tag}.csv", index=False, float_format="%.5g")
    skipped = table[table["skipped"] != ""]
    done = table[table["skipped"] == ""]
    print(f"\n## Per row ({len(done)} compared, {len(skipped)} skipped)\n")
    cols = ["file", "group", "element", "edge", "kmax", "step_ratio", "r_peak_autobk"]
    cols += [f"{m}_{b}" for b in args.background for m in ("rel_rms", "dpeak")]
    print(markdown(done[cols]))
    print("\n## Skipped\n")
    reasons = skipped["skipped"].str.replace(r"k = [\d.]+", "k = ...", regex=True)
    print(markdown(reasons.str.slice(0, 60).value_counts().rename_axis("reason")
                   .reset_index(name="rows")))
    print("\n## Overall\n")
    print(markdown(summ))
    print(f"\n({time.perf_counter() - t0:.0f} s; results in {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
