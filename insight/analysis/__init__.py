"""The analysis: a Dataset and a Run in, the `Insight` out (statistics, diagnosis and the wording of
findings). The report (insight/report/) only presents what it holds."""

from insight.analysis.build import build_insight, represent

__all__ = ["build_insight", "represent"]
