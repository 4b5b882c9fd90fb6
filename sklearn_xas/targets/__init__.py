"""Local-structure targets from the absorber's first coordination shell.

One neighbour-finding routine, :func:`first_shell` (pymatgen's ``CrystalNN`` by
default, or a simple distance cutoff), is behind every target: the neighbour element
types, the mean nearest-neighbour distance and the coordination number.
:func:`compute_targets` computes them for a whole data set in parallel.
"""

from ._compute import TARGETS, compute_targets
from ._neighbors import (
    METHODS,
    FirstShell,
    coordination_number,
    first_shell,
    mean_nn_distance,
    neighbor_types,
)

__all__ = [
    "METHODS",
    "TARGETS",
    "FirstShell",
    "compute_targets",
    "coordination_number",
    "first_shell",
    "mean_nn_distance",
    "neighbor_types",
]
