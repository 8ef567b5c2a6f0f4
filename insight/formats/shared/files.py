"""Which image files an annotation names are on disk, and the findings every reader gives alike:

    image_missing   some image files named by the annotations are not there (per split, examples)
    label_only      none is there: the annotations alone, said once, naming the annotation files

Which files exist is the loaders' to say (insight/bounds.py lists each folder once, a set of names,
rather than one stat per image: at COCO scale, 123,000 images in two folders, a few listings).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from insight.formats.shared.splits import is_split_word, split_name
from insight.model.findings import MAX_EXAMPLES, Finding, Severity

NAMED_SOURCES = 10  # annotation files named in a label_only finding; the rest are counted


def missing_image_findings(paths: Sequence[str], splits: Sequence[str], exists: np.ndarray,
                           sources: Sequence[str]) -> list[Finding]:
    """`paths`, `splits`: the images the annotations name (only the missing ones' paths are read);
    `exists`: which are on disk; `sources`: the annotation files (relative), named when no image is
    there at all (only read then)."""
    exists = np.asarray(exists, dtype=bool)
    if not len(exists) or exists.all():
        return []
    if not exists.any():
        return [label_only(sources, len(exists))]
    missing = np.flatnonzero(~exists)
    by_split: dict[str, int] = {}
    for i in missing:
        by_split[str(splits[i])] = by_split.get(str(splits[i]), 0) + 1
    return [Finding("image_missing", Severity.ERROR, len(missing),
                    values={"by_split": by_split, "images": len(exists)},
                    examples=[str(paths[i]) for i in missing[:MAX_EXAMPLES]])]


def label_only(sources: Sequence[str], images: int) -> Finding:
    """No image file at all: statistics come from the annotations alone."""
    named = list(dict.fromkeys(sources))
    return Finding("label_only", Severity.INFO, images,
                   values={"sources": named[:NAMED_SOURCES], "more_sources": max(0, len(named) - NAMED_SOURCES)},
                   examples=named[:MAX_EXAMPLES])


def split_in_path(path: str, default: str = "train") -> str:
    """The first split word among a relative path's folders (`train/labels/x.txt` -> train)."""
    for part in path.replace(os.sep, "/").split("/")[:-1]:
        if is_split_word(part):
            return split_name(part)
    return default


def remote_source(config) -> Callable[[str], str] | None:
    """Where the readers' per-image stages read a file's bytes: for a dataset in object storage (read
    through its local mirror, insight.storage), the object's URL; None: the file itself."""
    return config.remote.source if config.remote is not None else None
