"""The estimators' parameter documentation, written once and templated in.

The three estimators share 14 network hyperparameters (:data:`NET_PARAMETER_DOCS`).
Their docstrings name each one on a line of its own, ``{lr}`` say, which
:func:`document_parameters` replaces with the entry from here, with the default read
from the estimator's signature; indented lines after such a placeholder add to the
shared description. (skorch templates its shared docs the same way.)

Each estimator also has one table, ``backend -> parameters that backend reads``;
:func:`document_parameters` appends to every parameter's description which backends
read it (when not all do) and expands a ``{backend_table}`` placeholder into one line
per backend. A backend ignores the parameters it does not read, whatever their value,
so that one flat grid (``{"backend": [...], "lr": [...], "alpha": [...]}``) can span
backends.
"""

import inspect
import re
import textwrap

from ._modules import ACTIVATIONS

#: numpydoc ``(type, description)`` of the network hyperparameters shared by the
#: estimators (the keys of ``NET_PARAMETER_CONSTRAINTS``); the default comes from each
#: estimator's signature.
NET_PARAMETER_DOCS = {
    "hidden_layer_sizes": (
        "int or sequence of int",
        "Widths of the network's fully connected hidden layers: an int is one layer, an "
        "empty sequence none (a linear model).",
    ),
    "activation": (
        "{" + ", ".join(f'"{name}"' for name in ACTIVATIONS) + "}",
        "Activation after each hidden layer of the network.",
    ),
    "dropout": (
        "float",
        "Dropout probability after each hidden layer's activation; 0 switches dropout off.",
    ),
    "lr": ("float", "Initial learning rate of the AdamW optimiser."),
    "weight_decay": ("float", "AdamW's decoupled weight decay."),
    "batch_size": ("int", "Training rows per mini-batch (per gradient step)."),
    "max_epochs": ("int", "Most training epochs (passes over the training rows)."),
    "validation_fraction": (
        "float or None",
        "Fraction of the training rows held out, with a random split seeded by "
        "``random_state``, to monitor the validation loss for early stopping and the "
        '``"plateau"`` schedule. ``None`` or 0, or too few rows for a split, monitors the '
        "training loss instead.",
    ),
    "patience": (
        "int or None",
        "Epochs without improvement of the monitored loss before training stops; the "
        "weights of the best epoch are then restored. ``None`` trains all ``max_epochs`` "
        "epochs and keeps the last weights.",
    ),
    "lr_schedule": (
        '{"plateau", "cosine"} or None',
        '``"plateau"`` halves the learning rate when the monitored loss has not improved '
        "for ``max(1, patience // 3)`` epochs (6 when ``patience`` is None); "
        '``"cosine"`` anneals it to zero over ``max_epochs``; ``None`` keeps it constant.',
    ),
    "n_ensemble": (
        "int",
        "Networks trained, each with its own seed drawn from ``random_state`` (hence its "
        "own initialisation, validation split and batch order); the prediction is the "
        "average of theirs.",
    ),
    "device": (
        "str",
        'Torch device of the network: ``"auto"`` (or None: CUDA when available, else the '
        'CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``... A fitted model pickled on a GPU '
        "loads on a machine without one, on the CPU.",
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds the fit: the networks' weight initialisation, validation split, mini-batch "
        "order and dropout, or the randomised baseline's own ``random_state``. An int "
        "gives identical results across calls (on the CPU); ``None`` draws a seed from "
        "numpy's global random state. Torch's global random state is left untouched.",
    ),
    "verbose": (
        "int",
        "0 prints nothing. For the networks, 1 prints the training (and validation) loss "
        "of each epoch, 2 also a progress bar per epoch; the baselines that take a "
        "``verbose`` get the value.",
    ),
}

#: The shared hyperparameters only the networks read (``random_state`` and ``verbose``
#: serve the baselines too).
NETWORK_PARAMETERS = tuple(
    name for name in NET_PARAMETER_DOCS if name not in ("random_state", "verbose")
)

_PLACEHOLDER = re.compile(r"^( *)\{(\w+)\}$")
_WIDTH = 88


def _format_default(value):
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _quoted(backends):
    names = [f'``"{b}"``' for b in backends]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fill(text, indent):
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _readers(table):
    """``parameter -> backends reading it`` (in the table's order) from ``table``."""
    readers = {}
    for backend, params in table.items():
        for name in params:
            readers.setdefault(name, []).append(backend)
    return readers


def usage_note(name, table):
    """The sentence saying which backends read ``name``, or ``""`` when all do."""
    backends = _readers(table).get(name, [])
    if not backends or len(backends) == len(table):
        return ""
    which = "backend" if len(backends) == 1 else "backends"
    return f"Read by the {_quoted(backends)} {which} only; the others ignore it."


def backend_table_lines(table, indent):
    """One bullet per backend listing the parameters it reads."""
    lines = []
    for backend, params in table.items():
        names = ", ".join(f"``{name}``" for name in params) or "no other parameter"
        lines += textwrap.wrap(
            f'- ``"{backend}"``: {names}.',
            width=_WIDTH,
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 2),
            break_on_hyphens=False,
            break_long_words=False,
        )
    return lines


def _entry_lines(name, defaults, indent):
    try:
        type_, description = NET_PARAMETER_DOCS[name]
    except KeyError:
        raise ValueError(f"no shared documentation for parameter {name!r}") from None
    header = f"{' ' * indent}{name} : {type_}"
    if name in defaults:
        header += f", default={_format_default(defaults[name])}"
    return [header, *_fill(description, indent + 4)]


def expand_docstring(doc, signature_defaults, table):
    """``doc`` with its placeholders expanded and the usage notes appended.

    Parameters
    ----------
    doc : str
        A numpydoc docstring whose Parameters section holds entries and ``{name}``
        placeholders (names of :data:`NET_PARAMETER_DOCS`), and whose Notes may hold a
        ``{backend_table}`` placeholder.
    signature_defaults : dict
        Parameter name -> default value, from the estimator's signature.
    table : dict
        Backend -> parameters that backend reads.

    Returns
    -------
    doc : str
    """
    lines = doc.splitlines()
    out = []
    section = None  # (title, indent) of the current section
    entry = None  # (parameter name, indent) of the current Parameters entry

    def close_entry():
        note = usage_note(entry[0], table) if entry else ""
        if note:
            last = max(i for i, line in enumerate(out) if line.strip())
            out[last + 1 : last + 1] = _fill(note, entry[1] + 4)

    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped and len(underline) >= 3 and set(underline) == {"-"}:
            close_entry()
            section, entry = (stripped, indent), None
            out.append(line)
            continue
        match = _PLACEHOLDER.match(line)
        if match and match.group(2) == "backend_table":
            out += backend_table_lines(table, indent)
            continue
        in_params = section is not None and section[0] == "Parameters"
        if in_params and stripped and indent == section[1] and set(stripped) != {"-"}:
            close_entry()
            if match:
                entry = (match.group(2), indent)
                out += _entry_lines(entry[0], signature_defaults, indent)
                continue
            entry = (stripped.partition(" : ")[0], indent)
        out.append(line)
    close_entry()
    return "\n".join(out) + ("\n" if doc.endswith("\n") else "")


def document_parameters(table):
    """Class decorator: template the shared parameter docs into the class docstring.

    Parameters
    ----------
    table : dict
        Backend -> the parameters that backend reads (besides ``backend``); kept on the
        class, in signature order, as ``_backend_parameters``.

    Returns
    -------
    decorator : callable
    """

    def decorate(cls):
        signature = inspect.signature(cls.__init__)
        params = [p for p in signature.parameters.values() if p.name != "self"]
        names = {p.name for p in params}
        unknown = {n for backend_params in table.values() for n in backend_params} - names
        if unknown:
            raise ValueError(f"{cls.__name__}: the backend table names {sorted(unknown)}, "
                             "which are not parameters.")
        unread = names - {"backend"} - set(_readers(table))
        if unread:
            raise ValueError(f"{cls.__name__}: no backend reads {sorted(unread)}.")
        order = [p.name for p in params]
        ordered = {b: tuple(sorted(set(ps), key=order.index)) for b, ps in table.items()}
        defaults = {p.name: p.default for p in params if p.default is not p.empty}
        cls._backend_parameters = ordered
        cls.__doc__ = expand_docstring(cls.__doc__, defaults, ordered)
        return cls

    return decorate
