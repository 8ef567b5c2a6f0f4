"""The `photos` part of the benchmark data: real-size JPEG photos with planted copies, for the duplicate
and leakage check.

    photos/annotations/instances_{train2017,val2017}.json   COCO, 1-3 boxes an image, 5 classes
    photos/{train2017,val2017}/*.jpg                         640 x 480 JPEG photos (quality 90, ~90 kB)

At scale 1: 18,000 train and 2,000 val files (20,000). Every picture is its own: a smooth random
colour field (a random 4 x 3 grid, bicubic), finer random detail (32 x 24, bicubic) and sensor-like
noise, so that JPEG sizes and decode times are those of photos, and the perceptual hashes of two
different pictures are as far apart as those of unrelated photos. Among those files, planted:

- `within_split`: train files that are byte copies of another train file;
- `leakage_exact`: val files that are byte copies of a train file;
- `leakage_near`: val files that are a train picture edited and encoded again (re-encoded at quality
  70; or scaled to 90 % and re-encoded; or brightened by 6 levels and re-encoded): what a user's
  re-exported copy looks like. Their perceptual hashes are a few bits from the original's.

`.done.json` lists every planted copy (file and original), so the benchmark checks that all are found.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 640, 480
QUALITY = 90
FULL = {"train": 18_000, "val": 2_000}
PLANTED_FULL = {"within_split": 100, "leakage_exact": 100, "leakage_near": 150}
FOLDERS = {"train": "train2017", "val": "val2017"}
CLASSES = ("cat", "dog", "person", "car", "bicycle")
CHUNK = 250
NOISE_MID = 32


def counts(scale: float) -> tuple[dict[str, int], dict[str, int]]:
    n = {s: max(40 if s == "train" else 20, round(v * scale)) for s, v in FULL.items()}
    planted = {k: max(3, round(v * scale)) for k, v in PLANTED_FULL.items()}
    return n, planted


def photo(rng: np.random.Generator, noise):
    """One 640 x 480 RGB picture (a PIL image)."""
    from PIL import Image, ImageChops

    coarse = Image.fromarray(rng.integers(0, 256, (3, 4, 3), dtype=np.uint8), "RGB").resize((WIDTH, HEIGHT),
                                                                                          Image.BICUBIC)
    fine = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), "RGB").resize((WIDTH, HEIGHT),
                                                                                         Image.BICUBIC)
    x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
    grain = noise.crop((x, y, x + WIDTH, y + HEIGHT))
    return ImageChops.add(Image.blend(coarse, fine, 0.25), grain, offset=-NOISE_MID)


def encode(picture, quality: int = QUALITY) -> bytes:
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def near_copy(data: bytes, kind: int) -> bytes:
    """A re-exported copy of a JPEG: 0 re-encoded at quality 70, 1 scaled to 90 % then re-encoded,
    2 brightened by 6 levels then re-encoded."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        if kind == 1:
            im = im.resize((WIDTH * 9 // 10, HEIGHT * 9 // 10), Image.LANCZOS)
        if kind == 2:
            im = Image.fromarray(np.clip(np.asarray(im, np.int16) + 6, 0, 255).astype(np.uint8), "RGB")
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=70 if kind == 0 else 85)
    return buf.getvalue()


def _noise(seed: int):
    """Sensor-like grain: normal noise (sd 6 levels) around NOISE_MID, twice the picture's size, so a
    crop at a random offset gives each picture its own."""
    from PIL import Image

    rng = np.random.default_rng([seed, 21])
    grain = np.clip(rng.normal(NOISE_MID, 6, (2 * HEIGHT, 2 * WIDTH, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(grain, "RGB")


def _chunk(task) -> None:
    root, seed, folder, start, names = task
    noise = _noise(seed)
    for i, name in enumerate(names):
        rng = np.random.default_rng([seed, 20, start + i])
        (Path(root) / folder / name).write_bytes(encode(photo(rng, noise)))


def plan(scale: float, seed: int) -> dict:
    """Which file is what: the distinct pictures per split and the planted copies (file -> original)."""
    n, planted = counts(scale)
    rng = np.random.default_rng([seed, 22])
    names = {s: [f"{FOLDERS[s]}/{i:012d}.jpg" for i in range(k)] for s, k in n.items()}
    train, val = names["train"], names["val"]
    copies = {}
    tail = len(train) - planted["within_split"]
    originals = rng.choice(tail, planted["within_split"] + planted["leakage_exact"] + planted["leakage_near"],
                           replace=False)
    within, exact_src, near_src = np.split(originals, [planted["within_split"],
                                                       planted["within_split"] + planted["leakage_exact"]])
    copies["within_split"] = [(train[tail + j], train[int(o)]) for j, o in enumerate(within)]
    exact_val = val[: planted["leakage_exact"]]
    near_val = val[planted["leakage_exact"]: planted["leakage_exact"] + planted["leakage_near"]]
    copies["leakage_exact"] = [(v, train[int(o)]) for v, o in zip(exact_val, exact_src)]
    copies["leakage_near"] = [(v, train[int(o)]) for v, o in zip(near_val, near_src)]
    copied = {c for kind in copies.values() for c, _ in kind}
    distinct = {s: [x for x in names[s] if x not in copied] for s in names}
    return {"names": names, "distinct": distinct, "copies": copies, "counts": n, "planted": planted}


def write(pool, root: Path, scale: float, seed: int) -> dict:
    """Write the photos part under root (an empty folder); returns the summary for .done.json."""
    p = plan(scale, seed)
    for folder in FOLDERS.values():
        (root / folder).mkdir(parents=True)
    tasks = []
    for split, names in p["distinct"].items():
        folder = FOLDERS[split]
        base = [n.split("/", 1)[1] for n in names]
        offset = 0 if split == "train" else 10**7
        tasks += [(str(root), seed, folder, offset + a, base[a:a + CHUNK]) for a in range(0, len(base), CHUNK)]
    list(pool.map(_chunk, tasks))
    for kind, pairs in p["copies"].items():
        for i, (copy, original) in enumerate(pairs):
            data = (root / original).read_bytes()
            (root / copy).write_bytes(near_copy(data, i % 3) if kind == "leakage_near" else data)
    _annotations(root, p, seed)
    return {"images": p["counts"], "planted": p["planted"], "copies": p["copies"],
            "width": WIDTH, "height": HEIGHT}


def _annotations(root: Path, p: dict, seed: int) -> None:
    (root / "annotations").mkdir()
    rng = np.random.default_rng([seed, 23])
    cats = [{"id": i + 1, "name": c, "supercategory": "thing"} for i, c in enumerate(CLASSES)]
    for split, names in p["names"].items():
        images, anns = [], []
        for i, name in enumerate(names):
            image_id = i + 1
            images.append({"id": image_id, "file_name": name.split("/", 1)[1], "width": WIDTH, "height": HEIGHT})
            for _ in range(int(rng.integers(1, 4))):
                w, h = (float(v) for v in rng.uniform(20, 300, 2).round(1))
                x, y = round(float(rng.uniform(0, WIDTH - w)), 1), round(float(rng.uniform(0, HEIGHT - h)), 1)
                anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": int(rng.integers(1, 6)),
                             "bbox": [x, y, w, h], "area": round(w * h, 2), "iscrowd": 0})
        doc = {"images": images, "annotations": anns, "categories": cats}
        (root / "annotations" / f"instances_{FOLDERS[split]}.json").write_text(json.dumps(doc))
