"""The ``sklearn-xas`` command line: demo, train, predict, evaluate, simulate.

``demo`` runs :func:`sklearn_xas._demo.run_demo` (the recipes trained on the bundled
XANES and EXAFS sets, scored on held-out materials; the shipped models on measured
example files). ``train``/``predict``/``evaluate`` work on the user's own data (what
:func:`sklearn_xas.datasets.load` reads) with :class:`~sklearn_xas.pretrained.TrainedModel`
files or the shipped models; ``simulate`` runs FEFF6L on the user's structures. This
module only parses arguments and prints: the work is done by the library.

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

from .exceptions import MissingOptionalDependencyError, XASDataError

#: :data:`sklearn_xas.pipelines.TASKS`'s names, here so that ``--help`` imports no estimator.
TASK_NAMES = ["spectrum", "neighbor-types", "nn-distance", "coordination-number"]

DEFAULT_OUTPUT = "sklearn_xas_output"


class UserError(Exception):
    """An error in the user's input: reported in one line, exit status 2."""


def _reporter(quiet=False):
    """A function printing progress lines on stderr with the time since it was made."""
    t0 = time.perf_counter()
    return lambda msg: quiet or print(f"[{time.perf_counter() - t0:6.1f} s] {msg}",
                                      file=sys.stderr, flush=True)


def load_data(path, *, spectrum_type=None, n_jobs=None, on_error="raise"):
    """``--data``: ``"bundled"``/``"bundled-xanes"`` (the prototype EXAFS/XANES sets) or
    what :func:`~.datasets.load` reads; rows of ``spectrum_type`` (needed if mixed) kept."""
    from .datasets import load, load_prototype_exafs, load_prototype_xanes

    if str(path) in ("bundled", "bundled-xanes"):
        data = (load_prototype_xanes if str(path) == "bundled-xanes" else load_prototype_exafs)()
    elif not Path(path).expanduser().exists():
        raise UserError(f"--data {path}: no such file or folder.")
    else:
        options = {"n_jobs": n_jobs} if Path(path).is_dir() and n_jobs else {}
        data = load(Path(path).expanduser(), on_error=on_error, **options)
    try:
        return data.select_type(spectrum_type)
    except XASDataError as exc:
        raise UserError(f"--data {path}: {exc}") from exc


def print_table(rows, columns=("task", "metric", "model", "baseline")):
    """Print (..., metric, model, baseline) rows as a plain-text table."""
    import pandas as pd

    print(pd.DataFrame(rows, columns=list(columns)).to_string(
        index=False, float_format=lambda v: f"{v:.4g}") + "\n")


def _output_file(path):
    """``path`` as a Path, its folder created."""
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return Path(path).expanduser()


def _train_options(args):
    return dict(featurizer=args.featurizer, space=args.space, n_jobs=args.n_jobs,
                neighbor_method=args.neighbor_method, device=args.device)


def cmd_demo(args):
    from ._demo import DEMO_TASKS, run_demo
    from .utils import limit_threads

    report = _reporter(args.quiet)
    report(f"{limit_threads(args.threads)} thread(s) for torch and BLAS")
    tasks = [t for t in DEMO_TASKS if args.tasks is None or t[1] in args.tasks]
    result = run_demo(args.out, tasks=tasks, quick=args.quick, test_size=args.test_size,
                      figures=not args.no_plots, report=report, random_state=args.seed,
                      **_train_options(args))
    print("\nHeld-out materials of the bundled prototype crystals (XANES: FEFF10, EXAFS: "
          "FEFF6L; baseline: training-mean spectrum / per-absorber majority neighbour set, "
          "mean distance, most common coordination number; settings: _demo.DEMO_PARAMS)")
    print_table(result.table.itertuples(index=False), result.table.columns)
    if result.measured is not None:
        print("Shipped models on measured example spectra (sklearn-xas predict FILE):")
        _print_answer(result.measured)
        print()
    print(f"Written to {Path(args.out).resolve()}: "
          + ", ".join(Path(p).name for p in result.files))
    return 0


def cmd_train(args):
    report = _reporter(args.quiet)
    data = load_data(args.data, spectrum_type=args.spectrum_type, n_jobs=args.n_jobs,
                     on_error=args.on_error)
    report(f"loaded {data!r}")
    from .pretrained import train_model

    train, test = data, None
    if args.test_size:
        train, test = data.train_test_split(args.test_size, random_state=args.seed)
        report(f"material-disjoint split: train {len(train)}, test {len(test)} spectra")
    tm = train_model(args.task, train, quick=args.quick, random_state=args.seed,
                     **_train_options(args))
    report(f"{args.task}: fitted in {tm.train_summary['fit_seconds']:.1f} s")
    print(f"Model ({args.task}, {tm.spectrum_type}) saved to {tm.save(args.model).resolve()}")
    if test is not None:
        scores = tm.evaluate(test, n_jobs=args.n_jobs).scores
        print_table([(args.task, m, a, b) for m, (a, b) in scores.items()])
    return 0


def _model_and_data(args, paths):
    """The saved model of ``--model`` (or None: the shipped ones) and the data of ``paths``."""
    from .datasets import XASDataset
    from .pretrained import load_model

    try:
        tm = None if args.model is None else load_model(args.model)
    except XASDataError as exc:
        raise UserError(f"--model {exc}") from exc
    # the model's own type unless told otherwise (then TrainedModel says what is wrong)
    kind = args.spectrum_type or (tm.spectrum_type if tm is not None else None)
    data = XASDataset.concat([load_data(p, spectrum_type=kind, n_jobs=args.n_jobs,
                                        on_error=args.on_error) for p in paths])
    return tm, data


def _print_answer(table, rest=None):
    """The leading columns of :func:`~sklearn_xas.pretrained.describe_sites`' answer,
    its notes in full below; ``rest`` says where the other columns are."""
    from .pretrained import ANSWER_COLUMNS

    shown = [c for c in ANSWER_COLUMNS if c in table and c != "note"]
    print(table[shown].to_string(index=False, max_colwidth=60, float_format="{:.3f}".format))
    notes = [(row.material_id, row.absorbing_element, row.note)
             for row in table.itertuples() if getattr(row, "note", "")]
    if notes:
        print("notes:")
        for material, element, note in notes:
            print(f"  {material} ({element}): {note}")
    if rest:
        print(f"({', '.join(c for c in table if c not in shown + ['note'])}: {rest})")


def cmd_predict(args):
    report = _reporter(args.quiet)
    if args.data is None and not args.inputs:
        raise UserError("give the spectra: files (sklearn-xas predict sample.xdi) or --data.")
    tm, data = _model_and_data(args, [args.data] if args.data else args.inputs)
    if tm is not None and args.composition is not None:
        raise UserError("--composition is for the shipped models, not a --model.")
    if tm is None:  # the shipped models answer
        from .pretrained import describe_sites, to_chi

        report(f"loaded {data!r}; asking the shipped models ...")
        try:
            out, fits = describe_sites(data, return_fits=True, composition=args.composition,
                                       progress=False if args.quiet else None)
        except ValueError as exc:
            if args.composition is None:
                raise
            raise UserError(f"--composition: {exc}") from None
        _print_answer(out, rest="in the --out table" if args.out else "with --out FILE")
        if args.plot:
            from .plotting import plot_measured_chi
            from .pretrained import nearest_training_spectra

            chi = to_chi(data)
            fig = plot_measured_chi(chi, neighbors=nearest_training_spectra(data))
            fig.savefig(_output_file(args.plot), dpi=110)
            print(f"Figure written to {Path(args.plot).resolve()}")
            if any(f is not None for f in fits):
                from .plotting import plot_first_shell_fits

                path = Path(args.plot)
                path = path.with_name(f"{path.stem}_fits{path.suffix}")
                plot_first_shell_fits(chi, fits).savefig(_output_file(path), dpi=110)
                print(f"First-shell fits drawn in {path.resolve()}")
    else:
        report(f"loaded {data!r}; predicting {tm.task} ...")
        out = tm.predict_frame(data)
    if args.out:
        out.to_csv(_output_file(args.out), index=False)
        print(f"{len(out)} predictions written to {Path(args.out).resolve()}")
    return 0


def cmd_evaluate(args):
    report = _reporter(args.quiet)
    tm, data = _model_and_data(args, [args.data])
    report(f"loaded {data!r}; evaluating {tm.task} ...")
    result = tm.evaluate(data, n_jobs=args.n_jobs)
    print_table([(tm.task, m, a, b) for m, (a, b) in result.scores.items()])
    if args.out:
        _output_file(args.out).write_text(json.dumps(result.summary()["metrics"], indent=1))
        print(f"Metrics written to {Path(args.out).resolve()}")
    if args.plots:
        from .plotting import plot_task_results

        for name, fig in plot_task_results({tm.task: result}, data.frame):
            fig.savefig(_output_file(Path(args.plots) / name), dpi=110)
            report(f"wrote {Path(args.plots) / name}")
    return 0


def cmd_simulate(args):
    from .datasets import write_feff_tree
    from .simulate import read_structures, simulate_dataset

    report = _reporter(args.quiet)
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
                       help="'bundled' (EXAFS), 'bundled-xanes', or a file or folder that "
                            "sklearn_xas.datasets.load reads")
        p.add_argument("--spectrum-type", choices=["XANES", "EXAFS"], type=str.upper,
                       help="use only spectra of this type (needed if the data holds both)")
        p.add_argument("--on-error", choices=["raise", "skip"], default="raise",
                       help="bad records: stop, or skip them listing which")
    p.add_argument("--n-jobs", type=int, metavar="N", help="parallel workers (-1: all cores)")
    p.add_argument("--device", help="torch device: auto (default), cpu, cuda, cuda:1")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.add_argument("--traceback", action="store_true", help="show Python tracebacks on error")


def _model_options(p, *, featurizer, neighbor_method):
    p.add_argument("--featurizer", choices=["rdf", "pretrained", "chgnet"], default=featurizer,
                   help="forward model's site features: radial distribution, or the "
                   "recipe's default, pretrained CHGNet and SevenNet-0 embeddings + radial "
                   "distribution ('chgnet': its deprecated name) (default %(default)s)")
    p.add_argument("--space", choices=["r", "k"], default="r",
                   help="forward EXAFS target: |chi(R)| or k^2 chi(k)")
    p.add_argument("--neighbor-method", choices=["cutoff", "crystalnn"],
                   default=neighbor_method,
                   help="first shell of the inverse targets: CrystalNN or every neighbour "
                        "within 10%% of the shortest distance (default %(default)s)")


def _fraction(text):
    v = float(text) if text.replace(".", "", 1).isdigit() else -1.0
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number in [0, 1)")
    return v


def _command(sub, name, func, help, description=None):
    p = sub.add_parser(name, help=help, description=description or help[0].upper() + help[1:])
    p.set_defaults(func=func)
    return p


def build_parser():
    """The argument parser of ``sklearn-xas``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-xas", epilog="Start with 'sklearn-xas demo'. Each command has its "
        "own --help.", description="scikit-learn estimators for X-ray absorption spectra: "
        "structure -> spectrum and spectrum -> structure.")
    parser.add_argument("--version", action="version", version=f"sklearn-xas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = _command(sub, "demo", cmd_demo, "train the recipes on the bundled XANES and EXAFS "
                 "sets, score them on held-out materials, ask the shipped models")
    p.add_argument("--out", default=DEFAULT_OUTPUT, metavar="DIR",
                   help="folder for figures and metrics (default ./%(default)s)")
    p.add_argument("--test-size", type=_fraction, default=0.25,
                   help="held-out materials (default %(default)s)")
    p.add_argument("--tasks", nargs="+", choices=TASK_NAMES, help="only these tasks")
    p.add_argument("--quick", action="store_true", help="40 materials, short training")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--threads", default="auto", help="torch/BLAS threads (auto: idle cores)")
    _model_options(p, featurizer="rdf", neighbor_method="cutoff")
    _common(p, data=False)

    p = _command(sub, "train", cmd_train, "train a recipe on your data and save it",
                 "Train one recipe on data with structures (targets come from them) and "
                 "save it.")
    p.add_argument("task", choices=TASK_NAMES)
    p.add_argument("--model", required=True, metavar="FILE", help="where to save the model")
    p.add_argument("--test-size", type=_fraction, default=0.0,
                   help="hold out this fraction of materials and report metrics on it")
    p.add_argument("--quick", action="store_true", help="short training (a smoke test)")
    _model_options(p, featurizer="pretrained", neighbor_method="crystalnn")
    _common(p)

    p = _command(sub, "predict", cmd_predict, "what surrounds the absorber: shipped or "
                 "saved models", "Without --model, the shipped models name the neighbour "
                 "elements (with probabilities) and the mean NN distance of each spectrum of "
                 "the files (XDI, Athena, columns, ...); with --model, a model saved by "
                 "'train' predicts its task.")
    p.add_argument("inputs", nargs="*", metavar="FILE", help="spectra to read")
    p.add_argument("--model", metavar="FILE", help="a model saved by 'train'")
    p.add_argument("--out", metavar="FILE", help="also write a CSV")
    p.add_argument("--plot", metavar="PNG",
                   help="write chi(k) and |chi(R)| beside the nearest training spectra")
    p.add_argument("--composition", metavar="FORMULA",
                   help="the sample's elements (e.g. ZnSe): neighbours are named among "
                        "them (in a compound, not the absorber's own element)")
    _common(p, data_required=False)

    p = _command(sub, "evaluate", cmd_evaluate, "score a saved model on data with known "
                 "structures, beside a simple baseline")
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--out", metavar="FILE", help="also write metrics as JSON")
    p.add_argument("--plots", metavar="DIR", help="also write figures here")
    _common(p)

    p = _command(sub, "simulate", cmd_simulate, "EXAFS of your structures with FEFF6L, as "
                 "a FEFF tree", "Simulate chi(k) of every inequivalent site of the "
                 "structures (POSCAR, CIF, ...) with FEFF6L ('simulate' extra) and write a "
                 "FEFF tree that --data reads.")
    p.add_argument("structures", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR", help="root of the tree to write")
    p.add_argument("--absorbers", nargs="+", metavar="EL", help="only sites of these elements")
    p.add_argument("--sigma2", type=float, default=0.003, help="Debye-Waller factor (A^2)")
    p.add_argument("--rmax", type=float, default=6.0, help="longest half path length (A)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    _common(p, data=False)
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
