"""Pieces shared by the array-level steps (spectra already on one common grid)."""

from ._grid import grid_from_feature_names, resolve_grid


def fitted_grid(estimator, spec, *, name):
    """The grid of ``estimator``'s input columns, fixed in ``fit``.

    ``spec`` (a parameter) is resolved against ``n_features_in_``; ``None`` reads
    the grid from the feature names of a pandas ``X`` (``chi_k3.05``, ``mu_e-10.0``).
    """
    if spec is None:
        return grid_from_feature_names(
            getattr(estimator, "feature_names_in_", None), name=name,
            step=type(estimator).__name__,
        )
    return resolve_grid(spec, name=name, n_features=estimator.n_features_in_)


class FrameOutputMixin:
    """``set_output`` for steps whose output is a frame: accepted, frames stay frames.

    A ``Pipeline`` configured with ``set_output(transform="pandas")`` configures every
    step; these steps record the setting (used for any array output they make) and
    keep returning the data model's frame.
    """

    def set_output(self, *, transform=None):
        """Set the output container for array output; frames always come out as frames.

        Parameters
        ----------
        transform : {"default", "pandas"} or None
            ``"pandas"``: array output becomes a DataFrame with named columns.
            ``None``: leave the setting unchanged.

        Returns
        -------
        self : estimator instance
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(f"transform must be 'default' or 'pandas', got {transform!r}.")
        self._sklearn_output_config = {"transform": transform}
        return self
