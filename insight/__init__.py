"""insight: what is wrong with a computer-vision training set and training run, and what to do next.

    import insight
    insight.scan(path), insight.report(dataset, run=..., out=...), insight.curves(logs)

(insight.api says more.) Importing the package loads nothing heavy: each function imports what it
needs when called.
"""

__version__ = "0.1.0"
# The name on the package index (`insight` there is an unrelated project); the import and the command
# stay `insight`.
DISTRIBUTION = "insight-cv"
API = ("scan", "report", "curves")

__all__ = [*API, "Insight", "__version__"]


def install_hint(extra: str) -> str:
    """The command that installs insight with an optional extra, e.g. pip install 'insight-cv[dask]'."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def __getattr__(name: str):
    """scan, report, curves and Insight, imported when first used (PEP 562). `report` is the package
    insight.report, which calls the API's report when called (see its docstring)."""
    if name == "report":
        from importlib import import_module

        return import_module("insight.report")
    if name in API:
        from insight import api

        return getattr(api, name)
    if name == "Insight":
        from insight.model.insight import Insight

        return Insight
    raise AttributeError(f"module 'insight' has no attribute {name!r}")
