"""insight: what is wrong with a computer-vision training set and training run, and what to do next."""

__version__ = "0.1.0"
