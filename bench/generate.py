"""Write the benchmark datasets (seeded; skipped when already written for this scale and seed).

    .bench-data/scale-<S>-seed-<N>/
      coco/annotations/instances_train2017.json   118,287 images, ~860k boxes with polygons (~450 MB)
      coco/annotations/instances_val2017.json     5,000 images
      yolo/data.yaml  images/{train2017,val2017}/*.jpg  labels/{train2017,val2017}/*.txt   (same boxes, no crowd)
      voc/Annotations/*.xml  ImageSets/Main/{train,val}.txt  JPEGImages/*.jpg              (20,000 images)
      masks/classes.txt  images/{train,val}/*.jpg  masks/{train,val}/*.png                  (10,000 masks, 512 x 512)
      photos/annotations/*.json  {train2017,val2017}/*.jpg   (20,000 photos, 640 x 480, planted copies: photos.py)

Every count is multiplied by --scale. Image files are small JPEGs of the declared size (random colour blocks,
~6 KB, each image its own content), so sizes come from real headers and duplicate checks find no false pairs.

    python bench/generate.py --scale 0.01
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import photos  # noqa: E402
import synth  # noqa: E402

GEN_VERSION = 2
FULL_COUNTS = {"train": 118_287, "val": 5_000, "voc": 20_000, "masks": 10_000}
MIN_COUNTS = {"train": 20, "val": 5, "voc": 10, "masks": 10}
PARTS = ("coco", "yolo", "voc", "masks", "photos")
COCO_SPLITS = {"train": "train2017", "val": "val2017"}
CHUNK_IMAGES = 2000
MASK_CHUNK = 100
MASK_VAL_SHARE = 0.1
VOC_VAL_SHARE = 0.1
REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASE = REPO / ".bench-data"


def counts(scale: float) -> dict[str, int]:
    return {k: max(MIN_COUNTS[k], round(v * scale)) for k, v in FULL_COUNTS.items()}


def data_root(base: Path, scale: float, seed: int) -> Path:
    return Path(base) / f"scale-{scale:g}-seed-{seed}"


def generate(scale: float, seed: int = 0, base: Path = DEFAULT_BASE, parts=PARTS, workers: int | None = None,
             log=print) -> Path:
    """Write the missing parts for (scale, seed) under base; return the data root."""
    root = data_root(base, scale, seed)
    stamp = {"version": GEN_VERSION, "scale": scale, "seed": seed}
    todo = [p for p in parts if not _done(root / p, stamp)]
    if not todo:
        return root
    n = counts(scale)
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        if {"coco", "yolo", "voc"} & set(todo):
            t0 = time.perf_counter()
            for p in {"coco", "yolo", "voc"} & set(todo):
                _fresh(root / p)
            splits = {s: _coco_split(pool, root, s, n[s], seed, "coco" in todo) for s in COCO_SPLITS}
            _finish(root / "coco", stamp, {s: _summary(d) for s, d in splits.items()}, "coco" in todo)
            log(f"  coco: {time.perf_counter() - t0:.1f} s")
            if "yolo" in todo:
                t0 = time.perf_counter()
                _write_yolo(pool, root / "yolo", splits)
                _finish(root / "yolo", stamp, {s: _summary(d) for s, d in splits.items()})
                log(f"  yolo: {time.perf_counter() - t0:.1f} s")
            if "voc" in todo:
                t0 = time.perf_counter()
                _write_voc(pool, root / "voc", root / "yolo", splits, n["voc"])
                _finish(root / "voc", stamp, {"images": n["voc"]})
                log(f"  voc: {time.perf_counter() - t0:.1f} s")
        if "masks" in todo:
            t0 = time.perf_counter()
            _fresh(root / "masks")
            _write_masks(pool, root / "masks", n["masks"], seed)
            _finish(root / "masks", stamp, {"masks": n["masks"]})
            log(f"  masks: {time.perf_counter() - t0:.1f} s")
        if "photos" in todo:
            t0 = time.perf_counter()
            _fresh(root / "photos")
            _finish(root / "photos", stamp, photos.write(pool, root / "photos", scale, seed))
            log(f"  photos: {time.perf_counter() - t0:.1f} s")
    return root


# ---------------------------------------------------------------- bookkeeping

def _done(folder: Path, stamp: dict) -> bool:
    try:
        done = json.loads((folder / ".done.json").read_text())
    except (OSError, ValueError):
        return False
    return all(done.get(k) == v for k, v in stamp.items())


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _finish(folder: Path, stamp: dict, summary: dict, written: bool = True) -> None:
    if written:
        (folder / ".done.json").write_text(json.dumps({**stamp, "summary": summary}, indent=1))


def _summary(split: dict) -> dict:
    return {"images": len(split["width"]), "boxes": len(split["cls"]), "crowd": int(split["crowd"].sum())}


# ---------------------------------------------------------------- COCO

def _coco_split(pool, root: Path, split: str, n: int, seed: int, write_json: bool) -> dict:
    rng = np.random.default_rng([seed, 1, list(COCO_SPLITS).index(split)])
    width, height = synth.image_sizes(rng, n)
    ids = rng.choice(np.arange(1, 600_000) if split == "train" else np.arange(600_000, 700_000), n, replace=False)
    nbox = synth.boxes_per_image(rng, n)
    edges = list(range(0, n, CHUNK_IMAGES)) + [n]
    ann_start = 1 + np.concatenate(([0], np.cumsum(nbox)))[edges[:-1]] + (0 if split == "train" else 10**7)
    tasks = [(seed, split, i, width[a:b], height[a:b], ids[a:b], nbox[a:b], int(s), write_json)
             for i, (a, b, s) in enumerate(zip(edges[:-1], edges[1:], ann_start))]
    parts = []
    out = None
    if write_json:
        folder = root / "coco" / "annotations"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"instances_{COCO_SPLITS[split]}.json"
        out = open(path.with_suffix(".tmp"), "wb")
        out.write(_coco_head(split, width, height, ids))
    first = True
    for (a, _), (encoded, arrays) in zip(zip(edges[:-1], edges[1:]), pool.map(_annotation_chunk, tasks)):
        if out is not None and encoded:
            out.write(encoded if first else b"," + encoded)
            first = False
        arrays["image"] = arrays["image"] + a
        parts.append(arrays)
    if out is not None:
        cats = [{"supercategory": s, "id": i, "name": nm} for i, nm, s in synth.COCO_CATEGORIES]
        out.write(b'],"categories":' + msgspec.json.encode(cats) + b"}")
        out.close()
        os.replace(path.with_suffix(".tmp"), path)
    boxes = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return {"split": split, "seed": seed, "width": width, "height": height, "ids": ids, **boxes}


def _coco_head(split: str, width, height, ids) -> bytes:
    info = {"description": "insight benchmark (synthetic, COCO 2017 layout)", "version": "1.0", "year": 2017,
            "contributor": "insight bench/generate.py", "date_created": "2017/09/01"}
    licenses = [{"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution License"}]
    folder = COCO_SPLITS[split]
    images = [{"license": 4, "file_name": f"{i:012d}.jpg", "coco_url": f"http://images.example.org/{folder}/{i:012d}.jpg",
               "height": h, "width": w, "date_captured": "2013-11-14 11:18:45",
               "flickr_url": f"http://farm4.example.org/{i % 9000}/{i:012d}_z.jpg", "id": i}
              for i, w, h in zip(ids.tolist(), width.tolist(), height.tolist())]
    return (b'{"info":' + msgspec.json.encode(info) + b',"licenses":' + msgspec.json.encode(licenses)
            + b',"images":' + msgspec.json.encode(images) + b',"annotations":[')


def _annotation_chunk(task) -> tuple[bytes, dict]:
    seed, split, index, width, height, ids, nbox, ann_start, write_json = task
    rng = np.random.default_rng([seed, 2, list(COCO_SPLITS).index(split), index])
    image = np.repeat(np.arange(len(width)), nbox)
    b = synth.boxes(rng, width[image], height[image])
    poly = synth.polygons(rng, b)
    bbox, crowd, n = poly["bbox"], b["crowd"], len(image)
    if not write_json:
        for i in np.flatnonzero(crowd):
            _, bbox[i], _ = synth.crowd_rle(*bbox[i], int(width[image[i]]), int(height[image[i]]))
        return b"", {"image": image, "cls": b["cls"], "crowd": crowd, "bbox": bbox}
    xy = np.empty(2 * len(poly["px"]))
    xy[0::2], xy[1::2] = poly["px"], poly["py"]
    xy_list, bbox_list, area_list = xy.tolist(), bbox.tolist(), poly["area"].tolist()
    starts, k = (2 * poly["starts"]).tolist(), (2 * poly["k"]).tolist()
    cat_ids = np.array([c[0] for c in synth.COCO_CATEGORIES])[b["cls"]].tolist()
    image_ids = ids[image].tolist()
    crowd_list = crowd.tolist()
    anns = []
    for i in range(n):
        if crowd_list[i]:
            seg, box, area = synth.crowd_rle(*bbox_list[i], int(width[image[i]]), int(height[image[i]]))
            bbox[i] = box
            bbox_list[i] = box
        else:
            seg, box, area = [xy_list[starts[i]:starts[i] + k[i]]], bbox_list[i], area_list[i]
        anns.append({"segmentation": seg, "area": area, "iscrowd": int(crowd_list[i]), "image_id": image_ids[i],
                     "bbox": box, "category_id": cat_ids[i], "id": ann_start + i})
    order = rng.permutation(n).tolist()
    encoded = msgspec.json.encode([anns[o] for o in order])[1:-1]
    return encoded, {"image": image, "cls": b["cls"], "crowd": crowd, "bbox": bbox}


# ---------------------------------------------------------------- image files

def jpeg_bytes(width: int, height: int, key: list[int]) -> bytes:
    """A JPEG of this size: 8 x 6 random colour blocks seeded by `key`, so that every image has its own
    content (exact and perceptual hashes differ) while encoding stays ~1 ms."""
    from PIL import Image

    rng = np.random.default_rng(key)
    blocks = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), "RGB")
    buf = io.BytesIO()
    blocks.resize((width, height), Image.NEAREST).save(buf, "JPEG", quality=50)
    return buf.getvalue()


# ---------------------------------------------------------------- YOLO

def _write_yolo(pool, root: Path, splits: dict) -> None:
    names = "\n".join(f"  {i}: {name}" for i, (_, name, _) in enumerate(synth.COCO_CATEGORIES))
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(f"path: .\ntrain: images/train2017\nval: images/val2017\n\nnames:\n{names}\n")
    tasks = []
    for split, d in splits.items():
        folder = COCO_SPLITS[split]
        (root / "images" / folder).mkdir(parents=True)
        (root / "labels" / folder).mkdir(parents=True)
        keep = ~d["crowd"]  # Ultralytics' COCO converter skips crowd annotations
        image, cls, bbox = d["image"][keep], d["cls"][keep], d["bbox"][keep]
        bounds = np.searchsorted(image, np.arange(0, len(d["width"]) + CHUNK_IMAGES, CHUNK_IMAGES))
        for i, a in enumerate(range(0, len(d["width"]), CHUNK_IMAGES)):
            b, lo, hi = a + CHUNK_IMAGES, bounds[i], bounds[i + 1]
            tasks.append((str(root), d["seed"], folder, d["ids"][a:b], d["width"][a:b], d["height"][a:b], a,
                          image[lo:hi], cls[lo:hi], bbox[lo:hi]))
    list(pool.map(_yolo_chunk, tasks))


def _yolo_chunk(task) -> None:
    root, seed, folder, ids, width, height, offset, image, cls, bbox = task
    root = Path(root)
    w_img, h_img = width[image - offset], height[image - offset]
    cx, cy = (bbox[:, 0] + bbox[:, 2] / 2) / w_img, (bbox[:, 1] + bbox[:, 3] / 2) / h_img
    nw, nh = bbox[:, 2] / w_img, bbox[:, 3] / h_img
    lines = [f"{c} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n"
             for c, x, y, w, h in zip(cls.tolist(), cx.tolist(), cy.tolist(), nw.tolist(), nh.tolist())]
    bounds = np.searchsorted(image - offset, np.arange(len(ids) + 1)).tolist()
    for j, (i, w, h) in enumerate(zip(ids.tolist(), width.tolist(), height.tolist())):
        stem = f"{i:012d}"
        (root / "images" / folder / f"{stem}.jpg").write_bytes(jpeg_bytes(w, h, [seed, 8, i]))
        if bounds[j + 1] > bounds[j]:
            (root / "labels" / folder / f"{stem}.txt").write_text("".join(lines[bounds[j]:bounds[j + 1]]))


# ---------------------------------------------------------------- Pascal VOC

VOC_OBJECT = ("  <object>\n    <name>{name}</name>\n    <pose>Unspecified</pose>\n    <truncated>{trunc}</truncated>\n"
              "    <difficult>{difficult}</difficult>\n    <bndbox>\n      <xmin>{x0}</xmin>\n      <ymin>{y0}</ymin>\n"
              "      <xmax>{x1}</xmax>\n      <ymax>{y1}</ymax>\n    </bndbox>\n  </object>\n")
VOC_HEAD = ("<annotation>\n  <folder>VOC2012</folder>\n  <filename>{stem}.jpg</filename>\n"
            "  <source>\n    <database>insight benchmark</database>\n  </source>\n"
            "  <size>\n    <width>{w}</width>\n    <height>{h}</height>\n    <depth>3</depth>\n  </size>\n"
            "  <segmented>0</segmented>\n")


def _write_voc(pool, root: Path, yolo: Path, splits: dict, n: int) -> None:
    for sub in ("Annotations", "ImageSets/Main", "JPEGImages"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    n_val = max(1, min(len(splits["val"]["width"]), round(n * VOC_VAL_SHARE)))
    take = {"train": min(n - n_val, len(splits["train"]["width"])), "val": n_val}
    tasks = []
    for split, d in splits.items():
        m = take[split]
        stems = [f"{i:012d}" for i in d["ids"][:m].tolist()]
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("".join(s + "\n" for s in stems))
        hi = int(np.searchsorted(d["image"], m))
        src = yolo / "images" / COCO_SPLITS[split]
        for a in range(0, m, CHUNK_IMAGES):
            lo_b, hi_b = np.searchsorted(d["image"][:hi], [a, min(a + CHUNK_IMAGES, m)])
            tasks.append((str(root), d["seed"], str(src), stems[a:a + CHUNK_IMAGES], d["width"][a:a + CHUNK_IMAGES],
                          d["height"][a:a + CHUNK_IMAGES], a, d["image"][lo_b:hi_b], d["cls"][lo_b:hi_b],
                          d["crowd"][lo_b:hi_b], d["bbox"][lo_b:hi_b]))
    list(pool.map(_voc_chunk, tasks))


def _voc_chunk(task) -> None:
    root, seed, src, stems, width, height, offset, image, cls, crowd, bbox = task
    root, src = Path(root), Path(src)
    names = [c[1] for c in synth.COCO_CATEGORIES]
    bounds = np.searchsorted(image - offset, np.arange(len(stems) + 1)).tolist()
    x0 = np.floor(bbox[:, 0]).astype(int) + 1
    y0 = np.floor(bbox[:, 1]).astype(int) + 1
    x1 = np.minimum(np.ceil(bbox[:, 0] + bbox[:, 2]).astype(int), width[image - offset])
    y1 = np.minimum(np.ceil(bbox[:, 1] + bbox[:, 3]).astype(int), height[image - offset])
    trunc = ((x0 <= 1) | (y0 <= 1) | (x1 >= width[image - offset]) | (y1 >= height[image - offset])).astype(int)
    rows = list(zip(cls.tolist(), x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(), trunc.tolist(),
                    crowd.astype(int).tolist()))
    for j, (stem, w, h) in enumerate(zip(stems, width.tolist(), height.tolist())):
        objs = "".join(VOC_OBJECT.format(name=names[c], x0=a, y0=b, x1=cc, y1=d, trunc=t, difficult=dif)
                       for c, a, b, cc, d, t, dif in rows[bounds[j]:bounds[j + 1]])
        (root / "Annotations" / f"{stem}.xml").write_text(VOC_HEAD.format(stem=stem, w=w, h=h) + objs
                                                          + "</annotation>\n")
        target = root / "JPEGImages" / f"{stem}.jpg"
        try:
            os.link(src / f"{stem}.jpg", target)
        except OSError:
            target.write_bytes(jpeg_bytes(w, h, [seed, 8, int(stem)]))


# ---------------------------------------------------------------- masks

def _write_masks(pool, root: Path, n: int, seed: int) -> None:
    (root / "classes.txt").write_text("".join(c + "\n" for c in synth.MASK_CLASSES))
    n_val = max(1, round(n * MASK_VAL_SHARE))
    tasks = []
    for split, a, b in (("train", 0, n - n_val), ("val", n - n_val, n)):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        tasks += [(str(root), split, seed, i, min(i + MASK_CHUNK, b)) for i in range(a, b, MASK_CHUNK)]
    list(pool.map(_mask_chunk, tasks))


def _mask_chunk(task) -> None:
    from PIL import Image

    root, split, seed, a, b = task
    root = Path(root)
    rng = np.random.default_rng([seed, 3, a])
    for i in range(a, b):
        stem = f"{split}_{i:06d}"
        Image.fromarray(synth.mask(rng), "L").save(root / "masks" / split / f"{stem}.png")
        (root / "images" / split / f"{stem}.jpg").write_bytes(jpeg_bytes(synth.MASK_SIZE, synth.MASK_SIZE, [seed, 9, i]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every count by this (default 1.0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_BASE, help="base folder (default .bench-data/)")
    p.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset of " + ",".join(PARTS))
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = p.parse_args(argv)
    parts = [x for x in args.parts.split(",") if x]
    unknown = set(parts) - set(PARTS)
    if unknown:
        p.error(f"unknown parts {sorted(unknown)}")
    t0 = time.perf_counter()
    root = generate(args.scale, args.seed, args.out, parts, args.workers,
                    log=lambda m: print(m, file=sys.stderr))
    print(root)
    print(f"ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
