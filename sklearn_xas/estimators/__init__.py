"""sklearn_xas.estimators (under construction)."""
