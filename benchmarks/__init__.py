"""sklearn-xas benchmarks: the asv suite (``bench_*.py``) and results scripts (``script_*.py``).

asv imports every module of this package to discover benchmarks, so each module here must
import without side effects (scripts run their work under ``if __name__ == "__main__":``).
"""
