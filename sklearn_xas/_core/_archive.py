"""Where downloaded or extracted data lives, and extraction of packed FEFF trees."""

import os
import tarfile
from pathlib import Path

from ..exceptions import XASDataError


def get_data_home(data_home=None):
    """Return the folder where sklearn-xas caches data, creating it.

    Parameters
    ----------
    data_home : str or path-like, optional
        Defaults to the ``SKLEARN_XAS_DATA`` environment variable, else
        ``~/sklearn_xas_data``.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> from sklearn_xas.datasets import get_data_home
    >>> get_data_home("/tmp/xas_cache").name
    'xas_cache'
    """
    if data_home is None:
        data_home = os.environ.get("SKLEARN_XAS_DATA", Path.home() / "sklearn_xas_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def extract_archive(archive, *, data_home=None):
    """Extract a ``.tar.gz`` of a FEFF tree once into the data home; return its folder.

    The archive is unpacked into ``<data_home>/<archive stem>-<size>``; a later call
    with the same archive reuses that folder. A typical use is a packed Lightshow
    tree that :func:`load_feff_tree` then reads.

    Parameters
    ----------
    archive : str or path-like
        Path to a ``.tar``, ``.tar.gz`` or ``.tgz`` file.
    data_home : str or path-like, optional
        See :func:`get_data_home`.

    Returns
    -------
    root : pathlib.Path
        The extracted folder; if the archive holds a single top-level folder, that
        folder.

    Examples
    --------
    >>> import io, tarfile, tempfile
    >>> from pathlib import Path
    >>> from sklearn_xas.datasets import extract_archive
    >>> tmp = Path(tempfile.mkdtemp())
    >>> with tarfile.open(tmp / "tree.tar.gz", "w:gz") as tar:
    ...     info = tarfile.TarInfo("tree/mp-1/POSCAR"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"Cu"))
    >>> root = extract_archive(tmp / "tree.tar.gz", data_home=tmp / "home")
    >>> root.name, (root / "mp-1" / "POSCAR").read_text()
    ('tree', 'Cu')
    """
    archive = Path(archive)
    if not archive.is_file():
        raise XASDataError(f"{archive}: no such archive file.")
    stem = archive.name
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    dest = get_data_home(data_home) / f"{stem}-{archive.stat().st_size}"
    done = dest / ".extracted"
    if not done.exists():
        dest.mkdir(parents=True, exist_ok=True)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise XASDataError(f"{archive}: cannot extract the archive ({exc}).") from exc
        done.touch()
    entries = [p for p in dest.iterdir() if p.name != ".extracted"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest
