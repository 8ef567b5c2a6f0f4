"""YOLO label files that no listed image claims ("orphans"):

    labels/train/x.txt, and no images/train/x.* nor x.* beside it  -> labels of a missing image, counted
    labels/train/y.txt, and images/train/y.jpg that no split lists   -> left out, a label_without_image finding
"""

from __future__ import annotations

import os
from pathlib import Path

from insight.formats.shared.files import split_in_path
from insight.formats.shared.image_headers import is_image
from insight.formats.shared.tables import relative


def keep_labels_of_missing_images(root: Path, files) -> None:
    """Label files no listed image claims and whose image is nowhere on disk (by the Ultralytics rule
    or beside them) are read as labels of a missing image, in the split their path names; the others
    (an image exists that no split lists) stay orphans, left out."""
    on_disk: dict[str, frozenset[str]] = {}
    kept = []
    for label in files.orphans:
        if any(_stem(label) in _image_stems(folder, on_disk) for folder in _image_folders_of(label)):
            kept.append(label)
            continue
        files.split.append(split_in_path(relative(label, root)))
        files.image.append(None)
        files.label.append(label)
    files.orphans = kept


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _image_folders_of(label: str) -> list[str]:
    """Where the image of a label file would be: its folder with the last labels/ part as images/
    (any of the spellings Ultralytics and exporters use), and the label's own folder."""
    folder = os.path.dirname(label)
    found = [b.join(folder.rsplit(a, 1)) for a, b in ((f"{os.sep}labels", f"{os.sep}images"),
                                                       (f"{os.sep}Labels", f"{os.sep}Images"),
                                                       (f"{os.sep}annotations", f"{os.sep}images"),
                                                       (f"{os.sep}Annotations", f"{os.sep}Images")) if a in folder]
    return found + [folder]


def _image_stems(folder: str, cache: dict[str, frozenset[str]]) -> frozenset[str]:
    if folder not in cache:
        try:
            with os.scandir(folder) as entries:
                cache[folder] = frozenset(os.path.splitext(e.name)[0] for e in entries if is_image(e.name))
        except OSError:
            cache[folder] = frozenset()
    return cache[folder]
