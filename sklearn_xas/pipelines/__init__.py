"""sklearn_xas.pipelines (under construction)."""
