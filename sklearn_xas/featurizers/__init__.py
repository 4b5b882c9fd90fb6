"""sklearn_xas.featurizers (under construction)."""
