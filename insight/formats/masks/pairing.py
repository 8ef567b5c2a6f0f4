"""Pairing mask files with their images, by file stem within a split: `x_mask.png` or `x.png` in a
mask folder with `x.jpg` in the image folder (suffixes such as `_gtFine_labelIds`, `_mask`, `_seg`
are left out of the key; a prefix every name shares, `gt_0001` with `img_0001`, is cut when nothing
pairs otherwise). Paths stay str: tens of thousands are kept.

    masks/<split>/x.png  +  images/<split>/x.jpg   ->  Pair(split, mask, image)
    masks/<split>/y.png  (no image)                ->  Pair(split, mask, None)
    images/<split>/z.jpg (no mask)                 ->  a lonely image, Pair(split, None, image)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from insight.formats.shared.image_headers import is_image, list_image_paths
from insight.formats.masks.layout import BESIDE_MASK, Layout, Pair, Source, is_mask_file, mask_files, split_of

_STRIP = re.compile(r"(_gtFine_(labelTrainIds|labelIds|instanceIds|color)|_leftImg8bit|_mask|_masks|_seg|_gt"
                    r"|_label|_labels|_L|_lbl|_annot)$", re.IGNORECASE)
_ADE_OTHER = re.compile(r"(_seg|_parts_\d+)\.png$|^instance_\d+_", re.IGNORECASE)  # ADE20K files that are no image


def _key(stem: str) -> str:
    return _STRIP.sub("", stem)


def _prefix(stems: list[str]) -> str:
    """The prefix every stem shares, cut back to its last `_` or `-` (`gt_0001`, `gt_0002` -> `gt_`)."""
    if not stems:
        return ""
    common = os.path.commonprefix(stems)
    cut = max(common.rfind("_"), common.rfind("-"))
    return common[:cut + 1] if cut >= 0 else ""


def pair_source(source: Source, root: Path, cityscapes_kind: str | None,
                fixed: dict[str, str] | None = None,
                symlinked: list[str] | None = None) -> tuple[list[Pair], list[Pair]]:
    """(pairs of this source incl. masks without an image, images without a mask). Paths stay str.
    Symlinked folders below the mask and image folders are not entered; they are added to `symlinked`."""
    masks = mask_files(source, cityscapes_kind, symlinked)
    images = _images(source, symlinked)
    img_base = root if source.image_dir and root in source.image_dir.parents else source.image_dir
    mask_stem = [_stem(m) for m in masks]
    image_stem = [_stem(i) for i in images]
    mask_split = [_split(m, st, root, source, fixed) for m, st in zip(masks, mask_stem)]
    image_split = [_split(i, st, img_base, source, fixed) for i, st in zip(images, image_stem)]
    matched = _match(mask_stem, image_stem, mask_split, image_split, lambda s: s)
    if images and not any(m is not None for m in matched):
        mp, ip = _prefix([_key(m) for m in mask_stem]), _prefix([_key(i) for i in image_stem])
        matched = _match(mask_stem, image_stem, mask_split, image_split, lambda s, mp=mp: s[len(mp):],
                         lambda s, ip=ip: s[len(ip):])
    pairs = [Pair(split, m, None if hit is None else images[hit]) for m, split, hit in zip(masks, mask_split, matched)]
    used = {hit for hit in matched if hit is not None}
    lonely = [Pair(image_split[k], None, i) for k, i in enumerate(images) if k not in used
              and (fixed is None or image_stem[k] in fixed)]
    return pairs, lonely


def _images(source: Source, symlinked: list[str] | None = None) -> list[str]:
    """The source's image files, without the masks that sit among them (ADE20K, Roboflow's x_mask.png)."""
    if not (source.image_dir and source.image_dir.is_dir()):
        return []
    images = list_image_paths(source.image_dir, recursive=source.kind != "beside",
                              symlinked=[] if symlinked is None else symlinked)
    if source.kind == "ade20k":  # masks, part masks and instance masks sit among the images
        images = [i for i in images if not _ADE_OTHER.search(os.path.basename(i))]
    if source.kind == "beside":
        images = [i for i in images if not BESIDE_MASK.search(os.path.basename(i))]
    return images


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _split(path: str, stem: str, base: Path | None, source: Source, fixed: dict[str, str] | None) -> str:
    if source.split:
        return source.split
    if fixed is not None:
        return fixed.get(_key(stem), fixed.get(stem, "train"))
    return (split_of(path, base) if base is not None else None) or "train"


def _match(mask_stem, image_stem, mask_split, image_split, mask_key, image_key=None) -> list[int | None]:
    """For each mask, the index of its image (same split, same key), or None."""
    image_key = image_key or mask_key
    index: dict[str, dict[str, int]] = {}  # split -> key -> image
    for k, (stem, split) in enumerate(zip(image_stem, image_split)):
        keys = index.setdefault(split, {})
        keys.setdefault(image_key(stem), k)
        keys.setdefault(image_key(_key(stem)), k)
    found = []
    for stem, split in zip(mask_stem, mask_split):
        keys = index.get(split, {})
        hit = keys.get(mask_key(stem))
        found.append(hit if hit is not None else keys.get(mask_key(_key(stem))))
    return found


def sample_pairs(layout: Layout, limit: int = 20) -> tuple[int, int]:
    """(masks looked at, masks that found their image) over a few masks: how well the layout fits."""
    looked = paired = 0
    for source in layout.sources:
        if source.image_dir is None or not source.image_dir.is_dir():
            continue
        images = [_key(p.stem) for p in _first_files(source.image_dir, is_image, limit * 50)]
        masks = [_key(m.stem) for m in _first_files(source.mask_dir, is_mask_file, limit)]
        hits = sum(m in set(images) for m in masks)
        if not hits:  # `gt_0001` with `image_0001`: compare without each side's shared prefix
            mp, ip = _prefix(masks), _prefix(images)
            hits = sum(m[len(mp):] in {i[len(ip):] for i in images} for m in masks)
        looked += len(masks)
        paired += hits
    return looked, paired


def has_images(folder: Path) -> bool:
    """Whether any image file is under `folder` (a label-only mask dataset has none)."""
    return bool(_first_files(folder, is_image, 1))


def _first_files(folder: Path, keep, limit: int) -> list[Path]:
    found = []
    for dirpath, dirnames, files in os.walk(folder, followlinks=False):  # as the loader walks: no symlinked folder
        dirnames.sort()
        for f in sorted(files):
            if keep(f) and not f.startswith("."):
                found.append(Path(dirpath) / f)
                if len(found) >= limit:
                    return found
    return found
