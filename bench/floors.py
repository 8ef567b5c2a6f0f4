"""The floors insight is measured against, each run as its own process by bench/run.py.

    python bench/floors.py coco-msgspec DATA/coco     msgspec typed decode of only the needed fields + numpy stats
    python bench/floors.py coco-orjson  DATA/coco     orjson.loads of the whole file + the same numpy stats
    python bench/floors.py coco-json    DATA/coco     json.load of the whole file + the same numpy stats
    python bench/floors.py pycocotools  DATA/coco     the usual user script: pycocotools COCO() + pandas
    python bench/floors.py yolo-read    DATA/yolo     the raw bytes of every label file
    python bench/floors.py voc-read     DATA/voc      the raw bytes of every XML file (reference only)
    python bench/floors.py voc-parse    DATA/voc      every XML file parsed by the fastest parser at hand (see voc_parse)
    python bench/floors.py photos-pool  DATA/photos   sha256 + pHash of every photo (Pillow draft decode), all cores,
                                                      then the exact and near copies across splits
    python bench/floors.py masks-pool   DATA/masks    Pillow decode + numpy.bincount of every mask, all cores

Each prints one JSON line of totals (images, boxes, ...) so that run.py can set them beside insight's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

import msgspec
import numpy as np

AREA_PCT_EDGES = np.array([0, 0.16, 1.44, 2.56, 10.24, 40.96])  # docs/numbers.md (boxes), closed on the left
ASPECT_EDGES = np.array([0.25, 0.5, 0.67, 0.8, 1.25, 1.5, 2, 4])
PER_IMAGE_EDGES = np.array([0, 1, 2, 3, 4, 5, 10])


class Image(msgspec.Struct, gc=False):
    id: int
    width: int
    height: int


class Annotation(msgspec.Struct, gc=False):  # segmentation, area, id: never decoded, only skipped
    image_id: int
    category_id: int
    bbox: tuple[float, float, float, float]
    iscrowd: int = 0


class Category(msgspec.Struct, gc=False):
    id: int
    name: str


class Coco(msgspec.Struct, gc=False):
    images: list[Image]
    annotations: list[Annotation]
    categories: list[Category]


def coco_files(root: Path) -> list[tuple[str, Path]]:
    files = sorted(Path(root).glob("annotations/instances_*.json"))
    if not files:
        sys.exit(f"no annotations/instances_*.json under {root}")
    return [(f.stem.removeprefix("instances_"), f) for f in files]


def box_stats(image_ids, width, height, ann_image, ann_cat, bbox, cat_ids) -> dict:
    """The numpy statistics insight reports for one split: per class, area_pct, aspect and per-image bins."""
    order = np.argsort(image_ids)
    pos = order[np.searchsorted(image_ids, ann_image, sorter=order)]
    w, h = bbox[:, 2], bbox[:, 3]
    area_pct = w * h / (width[pos] * height[pos]) * 100
    with np.errstate(divide="ignore", invalid="ignore"):
        aspect = w / h
    cls = np.searchsorted(np.sort(cat_ids), ann_cat)
    per_image = np.bincount(pos, minlength=len(image_ids))
    return {
        "images": int(len(image_ids)), "boxes": int(len(ann_image)),
        "per_class": np.bincount(cls, minlength=len(cat_ids)).tolist(),
        "area_pct": np.bincount(np.searchsorted(AREA_PCT_EDGES, area_pct, side="right") - 1, minlength=6).tolist(),
        "aspect": np.bincount(np.searchsorted(ASPECT_EDGES, aspect, side="right"), minlength=9).tolist(),
        "per_image": np.bincount(np.searchsorted(PER_IMAGE_EDGES, per_image, side="right") - 1, minlength=7).tolist(),
        "area_pct_quantiles": np.quantile(area_pct, [0, 0.05, 0.5, 0.95, 1]).round(4).tolist() if len(w) else [],
    }


def coco_msgspec(root: Path) -> dict:
    decoder = msgspec.json.Decoder(Coco)
    out = {}
    for split, path in coco_files(root):
        doc = decoder.decode(path.read_bytes())
        images, anns = doc.images, doc.annotations
        out[split] = box_stats(
            np.fromiter((i.id for i in images), np.int64, len(images)),
            np.fromiter((i.width for i in images), np.float64, len(images)),
            np.fromiter((i.height for i in images), np.float64, len(images)),
            np.fromiter((a.image_id for a in anns), np.int64, len(anns)),
            np.fromiter((a.category_id for a in anns), np.int64, len(anns)),
            np.array([a.bbox for a in anns], np.float64).reshape(-1, 4),
            np.array([c.id for c in doc.categories]))
        out[split]["crowd"] = sum(a.iscrowd for a in anns)
    return out


def _coco_tree(doc: dict) -> dict:
    images, anns = doc["images"], doc["annotations"]
    stats = box_stats(
        np.array([i["id"] for i in images], np.int64), np.array([i["width"] for i in images], np.float64),
        np.array([i["height"] for i in images], np.float64), np.array([a["image_id"] for a in anns], np.int64),
        np.array([a["category_id"] for a in anns], np.int64),
        np.array([a["bbox"] for a in anns], np.float64).reshape(-1, 4),
        np.array([c["id"] for c in doc["categories"]]))
    stats["crowd"] = sum(a.get("iscrowd", 0) for a in anns)
    return stats


def coco_orjson(root: Path) -> dict:
    import orjson

    return {split: _coco_tree(orjson.loads(path.read_bytes())) for split, path in coco_files(root)}


def coco_json(root: Path) -> dict:
    out = {}
    for split, path in coco_files(root):
        with open(path, encoding="utf-8") as f:
            out[split] = _coco_tree(json.load(f))
    return out


def pycocotools_pandas(root: Path) -> dict:
    """What a user writes by hand: COCO() then pandas for counts, area and aspect ratio per class."""
    import pandas as pd
    from pycocotools.coco import COCO

    out = {}
    for split, path in coco_files(root):
        coco = COCO(str(path))
        anns = pd.DataFrame(coco.loadAnns(coco.getAnnIds()))
        imgs = pd.DataFrame(coco.loadImgs(coco.getImgIds())).set_index("id")
        names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
        anns[["x", "y", "w", "h"]] = pd.DataFrame(anns["bbox"].tolist(), index=anns.index)
        anns = anns.join(imgs[["width", "height"]], on="image_id")
        anns["class"] = anns["category_id"].map(names)
        anns["area_pct"] = anns["w"] * anns["h"] / (anns["width"] * anns["height"]) * 100
        anns["aspect"] = anns["w"] / anns["h"]
        per_class = anns.groupby("class").agg(count=("id", "size"), area=("area", "mean"),
                                               area_pct=("area_pct", "median"), aspect=("aspect", "median"))
        per_image = anns.groupby("image_id").size().reindex(imgs.index, fill_value=0)
        out[split] = {"images": len(imgs), "boxes": len(anns), "crowd": int(anns["iscrowd"].sum()),
                      "classes": len(per_class), "mean_per_image": round(float(per_image.mean()), 4)}
    return out


def yolo_read(root: Path) -> dict:
    out = {}
    for split_dir in sorted(p for p in (Path(root) / "labels").iterdir() if p.is_dir()):
        files = nbytes = lines = 0
        with os.scandir(split_dir) as it:
            for entry in it:
                if entry.name.endswith(".txt"):
                    with open(entry.path, "rb") as f:
                        data = f.read()
                    files += 1
                    nbytes += len(data)
                    lines += data.count(b"\n")
        out[split_dir.name] = {"label_files": files, "bytes": nbytes, "boxes": lines}
    return out


def voc_read(root: Path) -> dict:
    files = nbytes = 0
    with os.scandir(Path(root) / "Annotations") as it:
        for entry in it:
            with open(entry.path, "rb") as f:
                nbytes += len(f.read())
            files += 1
    return {"xml_files": files, "bytes": nbytes}


VOC_FIELDS = frozenset({"width", "height", "name", "xmin", "ymin", "xmax", "ymax", "difficult", "truncated"})


def voc_parse(root: Path) -> dict:
    """Read and parse every Annotations/*.xml with the C ElementTree (xml.etree.ElementTree.fromstring,
    expat underneath; lxml is not a dependency of the project), then take the text of every element the
    statistics need in one pass. Measured on the benchmark's files (us per file): expat with a no-op
    text handler 26 (parses, extracts nothing), ElementTree fromstring alone 39, fromstring + one pass
    over the elements 47, expat with Python start/end handlers 58, fromstring + findtext per field 99,
    defusedxml (pure-Python ElementTree on expat) 157."""
    import xml.etree.ElementTree as ET

    files = boxes = 0
    with os.scandir(Path(root) / "Annotations") as it:
        for entry in it:
            with open(entry.path, "rb") as f:
                doc = ET.fromstring(f.read())
            values = [(e.tag, e.text) for e in doc.iter() if e.tag in VOC_FIELDS]
            boxes += sum(1 for tag, _ in values if tag == "name")
            files += 1
    return {"xml_files": files, "boxes": boxes}


def _photo_hashes(path: str) -> tuple[bytes, int]:
    """(sha256 digest, 64-bit pHash) of one JPEG: Pillow draft mode (the DCT scaled on load to the
    smallest picture of at least 64 pixels a side), grey, Lanczos to 32 x 32, the lowest 8 x 8 DCT-II
    coefficients against their median."""
    import hashlib
    import io

    from PIL import Image

    with open(path, "rb") as f:
        data = f.read()
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (64, 64))
        small = np.asarray(im.convert("L").resize((32, 32), Image.Resampling.LANCZOS), np.float64)
    low = _DCT8 @ small @ _DCT8.T
    bits = np.packbits(low > np.median(low))
    return hashlib.sha256(data).digest(), int.from_bytes(bits.tobytes(), "big")


_DCT8 = 2.0 * np.cos(np.pi * np.arange(8)[:, None] * (2 * np.arange(32)[None, :] + 1) / 64)


def photos_pool(root: Path) -> dict:
    """The duplicate and leakage check by hand: list train2017/ and val2017/, hash every file in a
    process pool of all cores, then exact copies within train, exact and near (<= 10 bits) val copies of
    a train picture, the near ones by XOR and popcount in numpy."""
    from concurrent.futures import ProcessPoolExecutor

    splits = {s: sorted(e.path for e in os.scandir(Path(root) / f) if e.name.endswith(".jpg"))
              for s, f in (("train", "train2017"), ("val", "val2017"))}
    workers = os.cpu_count() or 1
    hashes = {}
    with ProcessPoolExecutor(workers) as pool:
        for split, paths in splits.items():
            hashes[split] = list(pool.map(_photo_hashes, paths, chunksize=max(1, min(64, len(paths) // (8 * workers)))))
    train_sha = [h for h, _ in hashes["train"]]
    within = len(train_sha) - len(set(train_sha))
    train_set = set(train_sha)
    exact = [i for i, (h, _) in enumerate(hashes["val"]) if h in train_set]
    exact_set = set(exact)
    train_p = np.unique(np.array([p for _, p in hashes["train"]], np.uint64))
    held = np.array([p for i, (_, p) in enumerate(hashes["val"]) if i not in exact_set], np.uint64)
    near = 0
    rows = max(1, (1 << 20) // max(1, len(train_p)))
    for a in range(0, len(held), rows):
        distance = np.bitwise_count(held[a:a + rows, None] ^ train_p[None, :]).min(axis=1)
        near += int((distance <= 10).sum())
    return {"train": {"images": len(splits["train"])}, "val": {"images": len(splits["val"])},
            "within_split": within, "leakage_exact": len(exact), "leakage_near": near}


def _mask_counts(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.bincount(np.asarray(im).ravel(), minlength=256)


def masks_pool(root: Path) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    out = {}
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        for split_dir in sorted(p for p in (Path(root) / "masks").iterdir() if p.is_dir()):
            paths = sorted(str(p) for p in split_dir.glob("*.png"))
            pixels = np.zeros(256, np.int64)
            images = np.zeros(256, np.int64)
            for counts in pool.map(_mask_counts, paths, chunksize=max(1, min(64, len(paths) // (4 * workers)))):
                pixels[: len(counts)] += counts[:256]
                images[: len(counts)] += counts[:256] > 0
            out[split_dir.name] = {"masks": len(paths), "classes_present": int((images[:255] > 0).sum()),
                                   "void_pixels": int(pixels[255]), "pixels": int(pixels.sum())}
    return out


COMMANDS = {"coco-msgspec": coco_msgspec, "coco-orjson": coco_orjson, "coco-json": coco_json,
            "pycocotools": pycocotools_pandas, "yolo-read": yolo_read, "voc-read": voc_read,
            "masks-pool": masks_pool, "voc-parse": voc_parse, "photos-pool": photos_pool}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=sorted(COMMANDS))
    p.add_argument("root", type=Path)
    args = p.parse_args(argv)
    if args.command.startswith("coco-"):
        gc.disable()  # what a tuned loader does while it builds many small objects
    print(json.dumps(COMMANDS[args.command](args.root), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
