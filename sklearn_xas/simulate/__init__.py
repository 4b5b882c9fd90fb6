"""sklearn_xas.simulate (under construction)."""
