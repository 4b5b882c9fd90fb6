"""Import optional heavy dependencies with an error that names the extra."""

import importlib

from ..exceptions import MissingOptionalDependencyError


def import_optional(module, extra, purpose=None):
    """Import ``module`` or raise an error naming the extra that provides it.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"larch.xafs"``.
    extra : str
        Name of the sklearn-xas extra that installs it, e.g. ``"simulate"``.
    purpose : str, optional
        What the module is needed for, used in the error message.

    Returns
    -------
    module : module
        The imported module.

    Examples
    --------
    >>> from sklearn_xas.utils._optional import import_optional
    >>> import_optional("json", extra="none").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        raise MissingOptionalDependencyError(
            f"The optional dependency {module.split('.')[0]!r} is needed{what}. "
            f"Install it with: pip install 'sklearn-xas[{extra}]'"
        ) from exc
