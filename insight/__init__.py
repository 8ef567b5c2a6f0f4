"""insight: what is wrong with a computer-vision training set and training run, and what to do next."""

__version__ = "0.1.0"
# The name on the package index (`insight` there is an unrelated project); the import and the command
# stay `insight`.
DISTRIBUTION = "insight-cv"


def install_hint(extra: str) -> str:
    """The command that installs insight with an optional extra, e.g. pip install 'insight-cv[dask]'."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"
