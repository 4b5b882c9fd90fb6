"""Figures of spectra and of model results (Matplotlib, no pyplot needed).

- :func:`plot_spectra`: true (and predicted) spectra, one panel each;
- :func:`plot_parity`: predicted against true values (e.g. NN distance);
- :func:`plot_per_element_f1`: neighbour-type F1 per absorbing element
  (scores from :func:`per_element_f1`);
- :func:`plot_reliability`: reliability diagram of predicted probabilities (neighbour
  types, coordination number), with the expected calibration error;
- :func:`plot_typical_spectra` and :func:`plot_task_results`: the figures of evaluated
  tasks, as the command line writes them; :func:`plot_measured_chi`: chi(k) and
  |chi(R)| of spectra to be predicted; :func:`plot_first_shell_fit`: a first-shell fit
  (:func:`sklearn_xas.simulate.fit_first_shell`) over the spectrum it fits, and
  :func:`plot_first_shell_fits` one row of those per fitted spectrum.

Without an ``ax``/``fig`` argument each function draws on a new
:class:`matplotlib.figure.Figure` that pyplot does not track, so it is safe on
headless machines and in loops; save it with ``fig.savefig(path)``.
"""

from ._plots import (
    per_element_f1,
    plot_parity,
    plot_per_element_f1,
    plot_reliability,
    plot_spectra,
)
from ._results import (
    plot_first_shell_fit,
    plot_first_shell_fits,
    plot_measured_chi,
    plot_task_results,
    plot_typical_spectra,
)

__all__ = [
    "per_element_f1",
    "plot_first_shell_fit",
    "plot_first_shell_fits",
    "plot_measured_chi",
    "plot_parity",
    "plot_per_element_f1",
    "plot_reliability",
    "plot_spectra",
    "plot_task_results",
    "plot_typical_spectra",
]
