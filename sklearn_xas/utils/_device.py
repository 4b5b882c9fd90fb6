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


def limit_threads(n_threads="auto"):
    """Set the threads torch and the BLAS libraries use, for the rest of the process.

    Small networks gain little from several threads and lose a lot when the cores are
    busy with other work: torch's threads then wait for each other, and training can
    slow down tens of times. ``"auto"`` takes the cores left idle by the machine's
    load (at least one).

    Parameters
    ----------
    n_threads : int or "auto", default="auto"
        Threads to use.

    Returns
    -------
    n_threads : int
        The number set.

    Examples
    --------
    >>> from sklearn_xas.utils import limit_threads
    >>> limit_threads(1)
    1
    """
    import os

    import torch
    from threadpoolctl import threadpool_limits

    cores = os.cpu_count() or 1
    if n_threads == "auto":
        try:
            load = os.getloadavg()[0]
        except OSError:  # not on every platform
            load = 0.0
        n_threads = max(1, min(cores, int(round(cores - load))))
    n_threads = int(n_threads)
    torch.set_num_threads(n_threads)
    threadpool_limits(n_threads)
    return n_threads
