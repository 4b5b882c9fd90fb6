"""sklearn_xas.plotting (under construction)."""
