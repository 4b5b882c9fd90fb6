"""Choose the torch device: ``"auto"`` means CUDA when available, else CPU."""


def resolve_device(device="auto"):
    """Return the torch device string for ``device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        ``"auto"`` picks ``"cuda"`` when ``torch.cuda.is_available()``, else ``"cpu"``.
        Other strings (``"cuda:1"``, ``"mps"``) are passed through.

    Returns
    -------
    device : str

    Examples
    --------
    >>> from sklearn_xas.utils import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None or device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def check_device(device):
    """Refuse a CUDA device that is not there, before any work starts.

    Parameters
    ----------
    device : str or None
        ``None``, ``"auto"``, ``"cpu"`` and other non-CUDA devices pass.

    Raises
    ------
    ValueError
        For ``"cuda"`` or ``"cuda:N"`` where ``torch.cuda.is_available()`` is False.

    Examples
    --------
    >>> from sklearn_xas.utils import check_device
    >>> check_device("cpu")
    """
    if device is None or not str(device).startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise ValueError(
            f"--device {device}: no CUDA device is available here "
            "(torch.cuda.is_available() is False); use --device cpu or --device auto."
        )
