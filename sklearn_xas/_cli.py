"""The ``sklearn-xas`` command line: demo, train, predict, evaluate, simulate.

``sklearn-xas demo`` trains the three recipes of :mod:`sklearn_xas.pipelines` on the
bundled data set (:func:`~sklearn_xas.datasets.load_prototype_exafs`) with a
material-disjoint split, prints a table of metrics and writes figures.
``train``/``predict``/``evaluate`` do the same on the user's own data (anything
:func:`sklearn_xas.datasets.load` reads) with models saved as
:class:`~sklearn_xas.pretrained.TrainedModel`; ``simulate`` makes EXAFS training data
for the user's own structures with FEFF6L. This module only parses arguments and
prints: the work is done by the library.

Errors in the input (a missing file, a bad option, data that cannot be used) end
the command with exit status 2 and a message that says what to fix; ``--traceback``
shows the full Python traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .exceptions import MissingOptionalDependencyError, XASDataError

#: The task names (as :data:`sklearn_xas.pipelines.TASKS`, kept here so that ``--help``
#: does not import the estimators).
TASK_NAMES = ["spectrum", "neighbor-types", "nn-distance"]

DEFAULT_OUTPUT = "sklearn_xas_output"


class UserError(Exception):
    """An error in the user's input: reported in one line, exit status 2."""


class _Reporter:
    """Progress lines on stderr (quiet with ``--quiet``)."""

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, msg):
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {msg}", file=sys.stderr, flush=True)


def load_data(path, *, spectrum_type=None, n_jobs=None, on_error="raise"):
    """``"bundled"`` or anything :func:`sklearn_xas.datasets.load` reads, of one kind.

    Parameters
    ----------
    path : str
        ``"bundled"`` (the prototype EXAFS set shipped with sklearn-xas) or a path.
    spectrum_type : {"XANES", "EXAFS"} or None
        Keep only rows of this type; required when the data holds both.
    n_jobs : int or None
        Workers of the FEFF-tree reader.
    on_error : {"raise", "skip"}
        Passed to the reader.

    Returns
    -------
    data : XASDataset
    """
    from .datasets import load, load_prototype_exafs

    if str(path) in ("bundled", "prototype_exafs"):
        data = load_prototype_exafs()
    else:
        if not Path(path).expanduser().exists():
            raise UserError(f"--data {path}: no such file or folder.")
        options = {"n_jobs": n_jobs} if Path(path).is_dir() and n_jobs else {}
        data = load(Path(path).expanduser(), on_error=on_error, **options)
    try:
        return data.select_type(spectrum_type)
    except XASDataError as exc:
        raise UserError(f"--data {path}: {exc}") from exc


def format_table(rows):
    """Plain-text table of (task, metric, model, baseline) rows."""
    head = ("task", "metric", "model", "baseline")
    cells = [head] + [(t, m, f"{a:.4g}", f"{b:.4g}") for t, m, a, b in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(4)]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_figures(out, results, test, report):
    """Save the figures of evaluated tasks (``task -> TaskResult``); their paths."""
    from .plotting import plot_task_results

    paths = []
    for name, fig in plot_task_results(results, test.frame):
        fig.savefig(out / name, dpi=110)
        paths.append(out / name)
        report(f"wrote {out / name}")
    return paths


def _train_options(args, *, quick=False):
    return dict(featurizer=args.featurizer, space=args.space, quick=quick,
                neighbor_method=args.neighbor_method, n_jobs=args.n_jobs, device=args.device,
                random_state=args.seed)


def cmd_demo(args):
    from .datasets import example_spectra, load, load_prototype_exafs
    from .pretrained import describe_sites, fit_and_score, list_models
    from .utils import limit_threads

    report = _Reporter(args.quiet)
    report(f"{limit_threads(args.threads)} thread(s) for torch and BLAS")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_prototype_exafs()
    report(f"bundled set: {data!r}")
    if args.quick:
        ids = np.unique(data.groups)
        keep = np.random.default_rng(args.seed).choice(ids, size=min(40, ids.size),
                                                       replace=False)
        data = data[np.isin(data.groups, keep)]
        report(f"--quick: {len(data)} site spectra of {keep.size} materials, short training")
    train, test = data.train_test_split(args.test_size, random_state=args.seed)
    report(f"material-disjoint split: train {len(train)} spectra "
           f"({train.frame['material_id'].nunique()} materials), test {len(test)} "
           f"({test.frame['material_id'].nunique()} materials)")
    results = fit_and_score(args.tasks or TASK_NAMES, train, test, report=report,
                            **_train_options(args, quick=args.quick))
    rows = [(t, m, a, b) for t, r in results.items() for m, (a, b) in r.scores.items()]
    summary = {t: r.summary() for t, r in results.items()}
    print("\nHeld-out materials of the bundled prototype EXAFS set "
          f"({len(test)} site spectra; baseline: training mean spectrum / per-absorber "
          "majority neighbour types / per-absorber mean distance)")
    print(format_table(rows) + "\n")
    if len(list_models()) >= 2:  # the shipped models on measured example spectra
        from .datasets import XASDataset

        answer = describe_sites(XASDataset.concat([load(p) for p in example_spectra()]))
        print("Shipped models on measured example spectra (sklearn-xas predict FILE):")
        print(answer.drop(columns=["note"]).to_string(index=False, max_colwidth=50) + "\n")
    paths = [] if args.no_plots else write_figures(out, results, test, report)
    (out / "metrics.json").write_text(json.dumps(summary, indent=1))
    paths.append(out / "metrics.json")
    print(f"Figures and metrics written to {out.resolve()}:")
    for p in paths:
        print(f"  {Path(p).name}")
    return 0


def cmd_train(args):
    report = _Reporter(args.quiet)
    data = load_data(args.data, spectrum_type=args.spectrum_type, n_jobs=args.n_jobs,
                     on_error=args.on_error)
    report(f"loaded {data!r}")
    train, test = data, None
    if args.test_size:
        train, test = data.train_test_split(args.test_size, random_state=args.seed)
        report(f"material-disjoint split: train {len(train)}, test {len(test)} spectra")
    from .pretrained import train_model

    tm = train_model(args.task, train, **_train_options(args, quick=args.quick))
    report(f"{args.task}: fitted in {tm.train_summary['fit_seconds']:.1f} s")
    path = tm.save(args.model)
    print(f"Model ({args.task}, {tm.spectrum_type}) saved to {path.resolve()}")
    if test is not None:
        scores = tm.evaluate(test, n_jobs=args.n_jobs).scores
        print(format_table([(args.task, m, a, b) for m, (a, b) in scores.items()]))
    return 0


def _model_and_data(args):
    from .pretrained import load_model

    try:
        tm = load_model(args.model)
    except XASDataError as exc:
        raise UserError(f"--model {exc}") from exc
    data = load_data(args.data, spectrum_type=args.spectrum_type or tm.spectrum_type,
                     n_jobs=args.n_jobs, on_error=args.on_error)
    if tm.task != "spectrum" and data.spectrum_types != [tm.spectrum_type]:
        raise UserError(f"The model was trained on {tm.spectrum_type} spectra but --data "
                        f"{args.data} holds {', '.join(data.spectrum_types)}; use "
                        f"--spectrum-type {tm.spectrum_type}.")
    return tm, data


def cmd_predict(args):
    report = _Reporter(args.quiet)
    if args.data is None and not args.inputs:
        raise UserError("give the spectra: files (sklearn-xas predict sample.xdi) or --data.")
    if args.model is None:  # the shipped models answer
        from .datasets import XASDataset
        from .pretrained import describe_sites, to_chi

        paths = [args.data] if args.data else args.inputs
        data = XASDataset.concat([load_data(p, on_error=args.on_error) for p in paths])
        report(f"loaded {data!r}; asking the shipped models ...")
        out = describe_sites(data)
        print(out.to_string(index=False, max_colwidth=60))
        if args.plot:
            from .plotting import plot_measured_chi

            fig = plot_measured_chi(to_chi(data))
            fig.savefig(args.plot, dpi=110)
            print(f"Figure written to {Path(args.plot).resolve()}")
    else:
        if args.data is None:
            args.data = args.inputs[0]
        tm, data = _model_and_data(args)
        report(f"loaded {data!r}; predicting {tm.task} ...")
        out = tm.predict_frame(data)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.out, index=False)
        print(f"{len(out)} predictions written to {Path(args.out).resolve()}")
    return 0


def cmd_evaluate(args):
    report = _Reporter(args.quiet)
    tm, data = _model_and_data(args)
    report(f"loaded {data!r}; evaluating {tm.task} ...")
    result = tm.evaluate(data, n_jobs=args.n_jobs)
    scores = result.scores
    print(format_table([(tm.task, m, a, b) for m, (a, b) in scores.items()]))
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.summary()["metrics"], indent=1))
        print(f"Metrics written to {path.resolve()}")
    if args.plots:
        Path(args.plots).mkdir(parents=True, exist_ok=True)
        write_figures(Path(args.plots), {tm.task: result}, data, report)
    return 0


def cmd_simulate(args):
    from .datasets import write_feff_tree
    from .simulate import read_structures, simulate_dataset

    report = _Reporter(args.quiet)
    structures = read_structures(args.structures)
    report(f"{len(structures)} structure(s); running FEFF6L ...")
    data = simulate_dataset(structures, absorbers=args.absorbers, n_jobs=args.n_jobs,
                            progress=not args.quiet, sigma2=args.sigma2, rmax=args.rmax)
    root = write_feff_tree(data, args.out, overwrite=args.overwrite)
    print(f"{len(data)} EXAFS spectra written as a FEFF tree to {Path(root).resolve()}"
          + (f" ({len(data.skipped)} site(s) failed, listed above)" if data.skipped else ""))
    return 0


# ----------------------------------------------------------------------- parser
def _common(p, *, data=True, data_required=True):
    if data:
        p.add_argument("--data", required=data_required, metavar="PATH",
                       help="'bundled', or a file or folder sklearn_xas.datasets.load reads")
        p.add_argument("--spectrum-type", choices=["XANES", "EXAFS"], type=str.upper,
                       help="use only spectra of this type (needed if the data holds both)")
        p.add_argument("--on-error", choices=["raise", "skip"], default="raise",
                       help="bad records: stop with an error (default) or skip them, "
                            "listing which")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="parallel workers for targets, features and models (-1: all cores)")
    p.add_argument("--device", default=None,
                   help="torch device for the networks: auto (default), cpu, cuda, cuda:1")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.add_argument("--traceback", action="store_true", help="show Python tracebacks on error")


def _model_options(p, *, featurizer, neighbor_method):
    p.add_argument("--featurizer", choices=["rdf", "chgnet"], default=featurizer,
                   help="site features of the forward model: the fast radial distribution or "
                        f"the pretrained CHGNet embedding (default {featurizer})")
    p.add_argument("--space", choices=["r", "k"], default="r",
                   help="what the forward model predicts for EXAFS: |chi(R)| (default) or "
                        "k^2 chi(k)")
    p.add_argument("--neighbor-method", choices=["cutoff", "crystalnn"],
                   default=neighbor_method,
                   help="first-shell finding for the inverse targets: pymatgen's CrystalNN or "
                        "every neighbour within 10%% of the shortest distance (default "
                        f"{neighbor_method})")


def _fraction(text):
    try:
        v = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return v


def build_parser():
    """The argument parser of ``sklearn-xas``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-xas",
        description="scikit-learn estimators for X-ray absorption spectra: structure -> "
                    "spectrum and spectrum -> structure.",
        epilog="Start with 'sklearn-xas demo'. Each command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-xas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="train the three recipes on the bundled data set",
                       description="Train the forward, neighbour-type and NN-distance recipes "
                                   "on the bundled prototype EXAFS set (material-disjoint "
                                   "split), print metrics and write figures.")
    p.add_argument("--out", default=DEFAULT_OUTPUT, metavar="DIR",
                   help=f"folder for figures and metrics (default ./{DEFAULT_OUTPUT})")
    p.add_argument("--test-size", type=_fraction, default=0.25,
                   help="fraction of materials held out (default 0.25)")
    p.add_argument("--tasks", nargs="+", choices=TASK_NAMES, default=None,
                   help="only these tasks (default: all three)")
    p.add_argument("--quick", action="store_true",
                   help="40 materials and short training: a smoke test in well under a minute")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--threads", default="auto",
                   help="torch/BLAS threads (default auto: the idle cores, at least one)")
    _model_options(p, featurizer="rdf", neighbor_method="cutoff")
    _common(p, data=False)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a recipe on your data and save it",
                       description="Train one recipe on a FEFF tree or JSON file; targets "
                                   "come from the structures. Saves the model with joblib.")
    p.add_argument("task", choices=TASK_NAMES)
    p.add_argument("--model", required=True, metavar="FILE", help="where to save the model")
    p.add_argument("--test-size", type=_fraction, default=0.0,
                   help="hold out this fraction of materials and report metrics on it")
    p.add_argument("--quick", action="store_true",
                   help="short training: a smoke test of the set-up, not a result")
    _model_options(p, featurizer="chgnet", neighbor_method="crystalnn")
    _common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="what surrounds the absorber: shipped or saved models",
                       description="Without --model, the shipped models name the neighbour "
                                   "elements (with probabilities) and the mean NN distance of "
                                   "each spectrum of the files (XDI, Athena, columns, ...); "
                                   "with --model, a model saved by 'train' predicts its task.")
    p.add_argument("inputs", nargs="*", metavar="FILE", help="spectra to read")
    p.add_argument("--model", default=None, metavar="FILE", help="a model saved by 'train'")
    p.add_argument("--out", default=None, metavar="FILE", help="also write a CSV")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="write a figure of the spectra's chi(k) and |chi(R)|")
    _common(p, data_required=False)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="score a saved model on data with known structures",
                       description="Score a saved model against the targets computed from "
                                   "the data's structures, beside a simple baseline.")
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--out", default=None, metavar="FILE", help="also write metrics as JSON")
    p.add_argument("--plots", default=None, metavar="DIR", help="also write figures here")
    _common(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("simulate", help="EXAFS of your structures with FEFF6L, as a FEFF tree",
                       description="Simulate chi(k) of every inequivalent site of the given "
                                   "structures (POSCAR, CIF, ...) with FEFF6L (needs the "
                                   "'simulate' extra) and write a FEFF tree that --data reads.")
    p.add_argument("structures", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR", help="root of the tree to write")
    p.add_argument("--absorbers", nargs="+", default=None, metavar="EL",
                   help="only sites of these elements")
    p.add_argument("--sigma2", type=float, default=0.003, help="Debye-Waller factor (A^2)")
    p.add_argument("--rmax", type=float, default=6.0, help="longest half path length (A)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    _common(p, data=False)
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv=None):
    """Run the ``sklearn-xas`` command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 2 for an error in the input (the message says what to fix).

    Examples
    --------
    >>> from sklearn_xas._cli import main
    >>> main(["predict", "--model", "no-such-model.joblib", "--data", "bundled"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .utils import check_device

        check_device(getattr(args, "device", None))
        with warnings.catch_warnings():
            if args.quiet:
                warnings.simplefilter("ignore")
            return args.func(args)
    except (UserError, XASDataError, MissingOptionalDependencyError, ValueError,
            OSError) as exc:
        if getattr(args, "traceback", False):
            raise
        msg = str(exc).strip() or type(exc).__name__
        print(f"sklearn-xas {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
