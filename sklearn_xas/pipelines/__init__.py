"""The recommended recipes: the data model's frame in, predictions out.

- :func:`make_spectrum_pipeline`: structure -> spectrum (forward);
- :func:`make_neighbor_type_pipeline`: spectrum -> neighbour element types;
- :func:`make_nn_distance_pipeline`: spectrum -> mean nearest-neighbour distance;
- :func:`make_coordination_pipeline`: spectrum -> coordination number.

The inverse recipes read a frame of XANES rows or of EXAFS rows through
:class:`SpectrumTypeSwitch`, whose default branches are :func:`xanes_branch` and
:func:`exafs_branch`.

The four tasks by name (:data:`TASKS`, as the command line and saved models use them):
:func:`make_task_pipeline`, :func:`task_targets`, :func:`spectrum_target_branch` (the
forward task's ``y``) and :func:`target_axis`.
"""

from ._neighbor import SELF_LABEL, NeighborTypePipeline
from ._recipes import (
    CHGNET_LAYERS,
    EXAFS_GRID,
    XANES_GRID,
    SpectrumTypeSwitch,
    exafs_branch,
    make_coordination_pipeline,
    make_neighbor_type_pipeline,
    make_nn_distance_pipeline,
    make_spectrum_pipeline,
    xanes_branch,
)
from ._tasks import (
    TASKS,
    make_task_pipeline,
    spectrum_target_branch,
    target_axis,
    task_targets,
)

__all__ = [
    "CHGNET_LAYERS",
    "EXAFS_GRID",
    "SELF_LABEL",
    "TASKS",
    "XANES_GRID",
    "NeighborTypePipeline",
    "SpectrumTypeSwitch",
    "exafs_branch",
    "make_coordination_pipeline",
    "make_neighbor_type_pipeline",
    "make_nn_distance_pipeline",
    "make_spectrum_pipeline",
    "make_task_pipeline",
    "spectrum_target_branch",
    "target_axis",
    "task_targets",
    "xanes_branch",
]
