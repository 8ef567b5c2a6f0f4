"""The whole duplicate and leakage check for one dataset: hash every image, diagnose, add thumbnails.

Findings with example pairs get `media`: {relative path: "data:image/jpeg;base64,..."} for the files
of their pairs (a second, small read of at most 2 x MAX_PAIRS files per finding), so the report shows
them without opening files. `Finding.media` is left out of insight.json.
"""

from __future__ import annotations

from dataclasses import replace

from insight.config import Config
from insight.diagnose.duplicates import duplicate_findings_of, skipped_finding
from insight.images.hashes import hash_images, thumbnails
from insight.model import Dataset, Finding
from insight.progress import Progress, no_progress

NO_IMAGE_FILES = "the dataset has annotations but no image files, so there is nothing to compare"


def duplicate_findings(ds: Dataset, config: Config = Config(), progress: Progress = no_progress) -> list[Finding]:
    """Exact duplicates within each split, exact and near leakage between train and the other splits."""
    if not ds.has_image_files:
        return [skipped_finding(NO_IMAGE_FILES)]
    if ds.images.empty:
        return []
    findings = duplicate_findings_of(hash_images(ds, config, progress), config.near_duplicate_hamming,
                                     config.workers, config.executor)
    source = config.remote.source if config.remote is not None else str
    return [with_thumbnails(f, ds.root, source) for f in findings]


def with_thumbnails(finding: Finding, root: str, source=str) -> Finding:
    pairs = finding.values.get("pairs")
    if not pairs:
        return finding
    return replace(finding, media=thumbnails(root, [p[k] for p in pairs for k in ("a", "b")], source))
