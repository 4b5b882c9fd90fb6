"""sklearn_xas.preprocessing (under construction)."""
