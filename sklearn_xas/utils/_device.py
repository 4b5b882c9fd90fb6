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
