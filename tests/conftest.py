"""Shared fixtures: the real data of ../shared/data (skipped when absent) and toy data."""

import os

import numpy as np
import pytest
from hypothesis import settings
from pymatgen.core import Lattice, Structure

from sklearn_xas.datasets import XASDataset, load_prototype_exafs
from sklearn_xas.preprocessing import edge_energy, k_to_energy
from sklearn_xas.targets import compute_targets
from sklearn_xas.utils._shared_data import SHARED_DATA_ENV, shared_archive, shared_data_dir

# CI explores the same examples every run (reproducible); developers' runs explore anew.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

CU_ARCHIVE = "omnixas-cu-feff-xanes.tar.gz"
EXAFS_ARCHIVE = "feff6l-exafs-mp.tar.gz"


def _need(path, what):
    if path is None:
        pytest.skip(
            f"{what} not found: put the shared data at ../shared/data (relative to the project "
            f"root) or set ${SHARED_DATA_ENV}."
        )
    return path


@pytest.fixture(scope="session")
def shared_dir():
    """The shared real-data folder (``../shared/data``)."""
    return _need(shared_data_dir(), "The shared data folder")


@pytest.fixture(scope="session")
def fixtures_dir(shared_dir):
    """``../shared/data/fixtures`` (pymatgen / Materials Project JSON)."""
    return _need((shared_dir / "fixtures") if (shared_dir / "fixtures").is_dir() else None,
                 "The JSON fixtures folder")


@pytest.fixture(scope="session")
def cu_tree():
    """Extracted root of the Cu K-edge FEFF9 XANES tree (Lightshow layout)."""
    return _need(shared_archive(CU_ARCHIVE), CU_ARCHIVE)


@pytest.fixture(scope="session")
def exafs_tree():
    """Extracted root of the multi-element FEFF6L EXAFS tree."""
    return _need(shared_archive(EXAFS_ARCHIVE), EXAFS_ARCHIVE)


@pytest.fixture(scope="session")
def nacl():
    """Rock-salt NaCl, a = 5.64 A (Na at index 0..3, Cl at 4..7 in the conventional cell)."""
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


@pytest.fixture(scope="session")
def toy_records(nacl):
    """A few synthetic EXAFS records on NaCl (two 'materials')."""
    k = np.linspace(0.0, 14.0, 281)
    recs = []
    for mid, idx, el in [("toy-1", 0, "Na"), ("toy-1", 4, "Cl"), ("toy-2", 0, "Na")]:
        # both first shells sit at 2.82 A in NaCl; the backscatterer (Cl for Na, Na for
        # Cl) sets the phase and the k-dependence of the amplitude
        phase, damping = (0.0, 0.01) if el == "Na" else (1.1, 0.03)
        recs.append(
            dict(material_id=mid, absorbing_index=idx, absorbing_element=el, edge="K",
                 spectrum_type="EXAFS", structure=nacl, x=k,
                 y=np.sin(2 * k * 2.82 + phase) * np.exp(-damping * k**2) / np.maximum(k, 1.0),
                 multiplicity=4)
        )
    return recs


@pytest.fixture(scope="session")
def bundled_exafs():
    """36 EXAFS rows of 18 bundled materials, with their mean NN distance."""
    data = load_prototype_exafs(prototypes=["rocksalt", "zincblende", "fcc", "bcc"])
    data = data[np.arange(len(data)) % 3 == 0][:36]
    y = compute_targets(data, method="cutoff")["mean_nn_distance"].to_numpy()
    return data, y


def _mu_of(data):
    """mu(E) rows made from the bundled chi(k): pre-edge slope, edge step, EXAFS."""
    rows = []
    for rec in data.frame.to_dict("records"):
        e0 = edge_energy(rec["absorbing_element"], rec["edge"])
        k, chi = rec["x"], rec["y"]
        pre = np.linspace(e0 - 60, e0 - 1, 60)
        post = k_to_energy(k[k > 0.3], e0)
        e = np.concatenate([pre, post])
        step = 1 / (1 + np.exp(-(e - e0) / 1.5))
        chi_e = np.concatenate([np.zeros(pre.size), chi[k > 0.3]])
        rows.append(dict(rec, spectrum_type="XANES", x=e, y=0.05 + 1e-4 * (e - e0)
                         + step * (1 + chi_e)))
    return XASDataset.from_records(rows)


@pytest.fixture(scope="session")
def bundled_mu(bundled_exafs):
    data, y = bundled_exafs
    return _mu_of(data), y
