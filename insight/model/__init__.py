"""The core types every loader, reader, statistic and renderer agrees on (docs/architecture.md, "The tables")."""

from insight.model.dataset import Dataset, IMAGE_COLUMNS, LABEL_COLUMNS, TASKS, LABEL_KINDS
from insight.model.findings import Finding, Severity
from insight.model.run import Run, METRIC_COLUMNS

__all__ = [
    "Dataset", "IMAGE_COLUMNS", "LABEL_COLUMNS", "TASKS", "LABEL_KINDS",
    "Finding", "Severity", "Run", "METRIC_COLUMNS",
]
