"""Seeded, vectorised numbers for the benchmark data: COCO-like images, long-tailed classes, boxes with
polygon outlines, crowd RLEs, and class-index masks. No file is written here (see generate.py).

The distributions imitate COCO 2017 train (118,287 images, 860,001 boxes, 80 classes, person ~30 %,
41/34/24 % small/medium/large boxes, ~1 % crowd, ~25 polygon vertices per object on average).
"""

from __future__ import annotations

import numpy as np

COCO_CATEGORIES = (
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"), (4, "motorcycle", "vehicle"),
    (5, "airplane", "vehicle"), (6, "bus", "vehicle"), (7, "train", "vehicle"), (8, "truck", "vehicle"),
    (9, "boat", "vehicle"), (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"), (19, "horse", "animal"),
    (20, "sheep", "animal"), (21, "cow", "animal"), (22, "elephant", "animal"), (23, "bear", "animal"),
    (24, "zebra", "animal"), (25, "giraffe", "animal"), (27, "backpack", "accessory"),
    (28, "umbrella", "accessory"), (31, "handbag", "accessory"), (32, "tie", "accessory"),
    (33, "suitcase", "accessory"), (34, "frisbee", "sports"), (35, "skis", "sports"),
    (36, "snowboard", "sports"), (37, "sports ball", "sports"), (38, "kite", "sports"),
    (39, "baseball bat", "sports"), (40, "baseball glove", "sports"), (41, "skateboard", "sports"),
    (42, "surfboard", "sports"), (43, "tennis racket", "sports"), (44, "bottle", "kitchen"),
    (46, "wine glass", "kitchen"), (47, "cup", "kitchen"), (48, "fork", "kitchen"), (49, "knife", "kitchen"),
    (50, "spoon", "kitchen"), (51, "bowl", "kitchen"), (52, "banana", "food"), (53, "apple", "food"),
    (54, "sandwich", "food"), (55, "orange", "food"), (56, "broccoli", "food"), (57, "carrot", "food"),
    (58, "hot dog", "food"), (59, "pizza", "food"), (60, "donut", "food"), (61, "cake", "food"),
    (62, "chair", "furniture"), (63, "couch", "furniture"), (64, "potted plant", "furniture"),
    (65, "bed", "furniture"), (67, "dining table", "furniture"), (70, "toilet", "furniture"),
    (72, "tv", "electronic"), (73, "laptop", "electronic"), (74, "mouse", "electronic"),
    (75, "remote", "electronic"), (76, "keyboard", "electronic"), (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"), (79, "oven", "appliance"), (80, "toaster", "appliance"),
    (81, "sink", "appliance"), (82, "refrigerator", "appliance"), (84, "book", "indoor"),
    (85, "clock", "indoor"), (86, "vase", "indoor"), (87, "scissors", "indoor"), (88, "teddy bear", "indoor"),
    (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
)
PERSON_SHARE = 0.30  # COCO train: 262,465 of 860,001 boxes
ZIPF_EXPONENT = 1.23  # rank 1 / rank 79 of the other classes ~ 215 (car 43,867 vs hair drier 189)
MEAN_BOXES = 7.27  # 860,001 / 118,287
EMPTY_IMAGE_SHARE = 0.009  # 1,021 train images have no annotation
CROWD_SHARE = 0.011  # ~9,000 crowd annotations
LOG_SIDE_MU, LOG_SIDE_SIGMA = -2.45, 1.22  # sqrt(box area / image area): 41/34/24 % small/medium/large

COMMON_SIZES = (  # (width, height, weight): the most frequent COCO image sizes
    (640, 480, 30), (640, 427, 16), (480, 640, 8), (427, 640, 6), (640, 426, 5), (640, 425, 4),
    (640, 424, 3), (640, 428, 3), (640, 360, 3), (640, 640, 2), (500, 375, 2), (612, 612, 2),
    (640, 512, 2), (640, 429, 2), (640, 400, 2), (480, 360, 1), (375, 500, 1), (640, 478, 1),
)
COMMON_SIZE_SHARE = 0.75  # the rest get a random size (long side mostly 640)

MASK_CLASSES = (
    "background", "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "window",
    "grass", "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "chair",
)
MASK_SIZE = 512
MASK_VOID = 255


def class_weights() -> np.ndarray:
    """Probability of each of the 80 COCO classes: person fixed, the rest Zipf over a seeded-free order."""
    others = 1.0 / np.arange(1, len(COCO_CATEGORIES)) ** ZIPF_EXPONENT
    # a fixed interleaving so that frequent and rare classes are spread over the category list
    order = np.argsort((np.arange(1, len(COCO_CATEGORIES)) * 37) % 79)
    weights = np.empty(len(COCO_CATEGORIES))
    weights[0] = PERSON_SHARE
    weights[1:] = others[order] / others.sum() * (1 - PERSON_SHARE)
    return weights


def image_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Widths and heights of n images."""
    common = np.array([(w, h) for w, h, _ in COMMON_SIZES])
    p = np.array([c for _, _, c in COMMON_SIZES], float)
    wh = common[rng.choice(len(common), size=n, p=p / p.sum())]
    rand = rng.random(n) >= COMMON_SIZE_SHARE
    k = int(rand.sum())
    long = np.where(rng.random(k) < 0.8, 640, rng.integers(320, 641, k))
    short = (long * rng.uniform(0.45, 1.0, k)).astype(int)
    landscape = rng.random(k) < 0.75
    wh[rand, 0] = np.where(landscape, long, short)
    wh[rand, 1] = np.where(landscape, short, long)
    return wh[:, 0].astype(np.int64), wh[:, 1].astype(np.int64)


def boxes_per_image(rng: np.random.Generator, n: int) -> np.ndarray:
    """Long-tailed boxes per image: 1 + negative binomial, a few images with none."""
    r = 1.3
    mean_extra = (MEAN_BOXES / (1 - EMPTY_IMAGE_SHARE)) - 1
    counts = 1 + rng.negative_binomial(r, r / (r + mean_extra), n)
    counts[rng.random(n) < EMPTY_IMAGE_SHARE] = 0
    return np.minimum(counts, 200).astype(np.int64)


def boxes(rng: np.random.Generator, width: np.ndarray, height: np.ndarray) -> dict[str, np.ndarray]:
    """One box per entry of width/height (the size of the box's image): class, crowd flag, geometry."""
    n = len(width)
    cls = rng.choice(len(COCO_CATEGORIES), size=n, p=class_weights())
    crowd = rng.random(n) < CROWD_SHARE
    side = np.exp(rng.normal(LOG_SIDE_MU, LOG_SIDE_SIGMA, n))
    side = np.clip(np.where(crowd, side * 3, side), 0.006, 0.98)
    log_ratio = np.where(cls == 0, rng.normal(np.log(0.45), 0.45, n), rng.normal(0.0, 0.6, n))
    scale = side * np.sqrt(width * height)
    w = np.clip(scale * np.exp(log_ratio / 2), 2.0, width)
    h = np.clip(scale * np.exp(-log_ratio / 2), 2.0, height)
    x = rng.random(n) * (width - w)
    y = rng.random(n) * (height - h)
    return {"cls": cls, "crowd": crowd, "x": x, "y": y, "w": w, "h": h, "side": side}


def polygons(rng: np.random.Generator, b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A jittered ellipse inside each box; returns flat vertex arrays, offsets, exact bbox and area."""
    n = len(b["x"])
    k = np.clip(np.rint(8 + 112 * b["side"] + rng.normal(0, 2, n)), 4, 160).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(k)[:-1]))
    seg = np.repeat(np.arange(n), k)
    j = np.arange(k.sum()) - starts[seg]
    theta = 2 * np.pi * (j + rng.uniform(-0.3, 0.3, len(j))) / k[seg]
    rho = 1 - 0.35 * rng.random(len(j))
    cx, cy = b["x"] + b["w"] / 2, b["y"] + b["h"] / 2
    px = np.round(cx[seg] + b["w"][seg] / 2 * rho * np.cos(theta), 2)
    py = np.round(cy[seg] + b["h"][seg] / 2 * rho * np.sin(theta), 2)
    nxt = np.arange(len(j)) + 1
    nxt[starts + k - 1] = starts
    cross = px * py[nxt] - px[nxt] * py
    area = np.round(0.5 * np.abs(np.add.reduceat(cross, starts)), 2) if n else np.zeros(0)
    x0 = np.minimum.reduceat(px, starts) if n else np.zeros(0)
    y0 = np.minimum.reduceat(py, starts) if n else np.zeros(0)
    x1 = np.maximum.reduceat(px, starts) if n else np.zeros(0)
    y1 = np.maximum.reduceat(py, starts) if n else np.zeros(0)
    return {"px": px, "py": py, "starts": starts, "k": k, "area": area,
            "bbox": np.round(np.stack([x0, y0, x1 - x0, y1 - y0], axis=1), 2)}


def crowd_rle(x: float, y: float, w: float, h: float, width: int, height: int) -> tuple[dict, list, int]:
    """Uncompressed column-major RLE of the integer rectangle covering the box (as COCO crowd annotations)."""
    x0, y0 = int(x), int(y)
    bw = max(1, min(int(np.ceil(x + w)), width) - x0)
    bh = max(1, min(int(np.ceil(y + h)), height) - y0)
    counts = [x0 * height + y0]
    for _ in range(bw - 1):
        counts += [bh, height - bh]
    counts += [bh, height - (y0 + bh) + (width - (x0 + bw)) * height]
    return {"counts": counts, "size": [height, width]}, [x0, y0, bw, bh], bw * bh


def mask(rng: np.random.Generator) -> np.ndarray:
    """A 512 x 512 class-index mask: smooth blobs of 2-7 long-tailed classes, void (255) on boundaries."""
    weights = 1.0 / np.arange(1, len(MASK_CLASSES)) ** 0.9
    m = int(rng.integers(1, 7))
    present = np.concatenate(([0], 1 + rng.choice(len(weights), m, replace=False, p=weights / weights.sum())))
    low = 128
    interp = _bilinear(9, low)
    fields = np.einsum("ij,cjk,lk->cil", interp, rng.random((len(present), 9, 9)), interp)
    fields[0] += 0.15  # background takes the largest share
    labels = present[np.argmax(fields, axis=0)].astype(np.uint8)
    full = np.repeat(np.repeat(labels, MASK_SIZE // low, axis=0), MASK_SIZE // low, axis=1)
    edge = np.zeros(full.shape, bool)
    edge[:, 1:] |= full[:, 1:] != full[:, :-1]
    edge[1:, :] |= full[1:, :] != full[:-1, :]
    full[edge] = MASK_VOID
    return full


def _bilinear(n_in: int, n_out: int) -> np.ndarray:
    """Matrix (n_out x n_in) of linear interpolation weights."""
    pos = np.linspace(0, n_in - 1, n_out)
    lo = np.minimum(np.floor(pos).astype(int), n_in - 2)
    frac = pos - lo
    out = np.zeros((n_out, n_in))
    out[np.arange(n_out), lo] = 1 - frac
    out[np.arange(n_out), lo + 1] = frac
    return out
