"""Reading FEFF trees (Lightshow layout) into the data model."""

import warnings
from pathlib import Path

from sklearn_xas.datasets import load_feff_tree

from .common import CU_ARCHIVE, EXAFS_ARCHIVE, Benchmark, link_materials, warm_workers

_TREES = {"xanes": (CU_ARCHIVE, "xmu.dat"), "exafs": (EXAFS_ARCHIVE, "chi.dat")}


class LoadFeffTree(Benchmark):
    """:func:`~sklearn_xas.datasets.load_feff_tree` on a subset of a shared tree.

    ``n_materials`` material folders (Cu XANES: ~2.2 site spectra each; EXAFS: ~5.4),
    read in one process or with ``n_jobs`` joblib workers (started in ``setup``, so that
    the timings do not include starting them).
    """

    param_names = ["kind", "n_materials", "n_jobs"]
    params = (["xanes", "exafs"], [20, 80], [1, 2])

    def setup(self, cache, kind, n_materials, n_jobs):
        archive, marker = _TREES[kind]
        # asv runs the suite in the temporary folder of setup_cache: link there.
        dest = Path(f"tree-{kind}-{n_materials}")
        self.root = link_materials(archive, n_materials, marker, dest)
        if self.root is None:
            raise NotImplementedError(f"{archive} is not in the shared data folder.")
        warm_workers(n_jobs, "sklearn_xas.datasets")

    @staticmethod
    def _load(root, n_jobs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_feff_tree(root, n_jobs=n_jobs, progress=False)

    def time_load_feff_tree(self, cache, kind, n_materials, n_jobs):
        self._load(self.root, n_jobs)

    def peakmem_load_feff_tree(self, cache, kind, n_materials, n_jobs):
        self._load(self.root, n_jobs)
