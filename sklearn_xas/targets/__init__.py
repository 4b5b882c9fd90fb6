"""sklearn_xas.targets (under construction)."""
