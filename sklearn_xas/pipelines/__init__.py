"""The recommended recipes: the data model's frame in, predictions out.

- :func:`make_spectrum_pipeline`: structure -> spectrum (forward);
- :func:`make_neighbor_type_pipeline`: spectrum -> neighbour element types;
- :func:`make_nn_distance_pipeline`: spectrum -> mean nearest-neighbour distance.

The inverse recipes read a frame of XANES rows or of EXAFS rows through
:class:`SpectrumTypeSwitch`, whose default branches are :func:`xanes_branch` and
:func:`exafs_branch`.
"""

from ._recipes import (
    CHGNET_LAYERS,
    EXAFS_GRID,
    XANES_GRID,
    SpectrumTypeSwitch,
    exafs_branch,
    make_neighbor_type_pipeline,
    make_nn_distance_pipeline,
    make_spectrum_pipeline,
    xanes_branch,
)

__all__ = [
    "CHGNET_LAYERS",
    "EXAFS_GRID",
    "XANES_GRID",
    "SpectrumTypeSwitch",
    "exafs_branch",
    "make_neighbor_type_pipeline",
    "make_nn_distance_pipeline",
    "make_spectrum_pipeline",
    "xanes_branch",
]
