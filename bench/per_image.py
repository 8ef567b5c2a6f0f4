"""Per-image costs of the duplicate check and of a dataset in object storage, measured on this machine:
the figures bench/README.md projects Open Images scale from.

    python bench/per_image.py FOLDER [FOLDER ...]      # folders of real JPEG/PNG images

For each folder, over every image in it (each read once from the page cache before timing): the CPU
time of `hash_file` (sha256 + perceptual hash, what every image costs the duplicate check), of
`header_size` on the whole file and on its first HEAD_BYTES (what a mirrored image costs the reader),
the mean file size (the bytes hashing reads) and how many headers did not fit in HEAD_BYTES. Then the
near-duplicate search's cost per pair of hashes (insight.diagnose.duplicates.nearest_hashes, one
process). Prints one JSON document.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from insight.diagnose.duplicates import nearest_hashes
from insight.formats.shared.image_headers import header_size, list_image_paths
from insight.images.hashes import hash_file
from insight.storage import HEAD_BYTES


def cpu_per_call(fn, items) -> float:
    """Median CPU seconds of fn(item), each item once (process time: other load on the machine does not count)."""
    times = []
    for item in items:
        t0 = time.process_time()
        fn(item)
        times.append(time.process_time() - t0)
    return statistics.median(times) if times else float("nan")


def folder_costs(folder: Path) -> dict:
    paths = list_image_paths(folder)
    for p in paths:
        Path(p).read_bytes()  # page cache
    sizes = [Path(p).stat().st_size for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        heads = []
        for i, p in enumerate(paths):
            head = Path(tmp) / f"{i}{Path(p).suffix}"
            head.write_bytes(Path(p).read_bytes()[:HEAD_BYTES])
            heads.append(str(head))
        head_cpu = cpu_per_call(header_size, heads)
        past_head = sum(1 for h in heads if header_size(h)[2])
    return {"folder": str(folder), "images": len(paths), "mean_bytes": round(statistics.mean(sizes)),
            "hash_file_ms": round(cpu_per_call(hash_file, paths) * 1e3, 3),
            "header_whole_us": round(cpu_per_call(header_size, paths) * 1e6, 1),
            "header_from_head_us": round(head_cpu * 1e6, 1),
            "headers_past_first_bytes": past_head}


def pair_cost(m: int = 4096, n: int = 65536, seed: int = 0) -> float:
    """CPU seconds per (held-out, train) pair of the exact Hamming search, one process."""
    rng = np.random.default_rng(seed)
    held = rng.integers(0, 2 ** 63, m, dtype=np.uint64)
    train = rng.integers(0, 2 ** 63, n, dtype=np.uint64)
    nearest_hashes(held[:64], train, workers=1)  # warm
    t0 = time.process_time()
    nearest_hashes(held, train, workers=1)
    return (time.process_time() - t0) / (m * n)


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [Path("fixtures/pets")]
    doc = {"head_bytes": HEAD_BYTES, "folders": [folder_costs(f) for f in folders],
           "near_duplicate_ns_per_pair": round(pair_cost() * 1e9, 4)}
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
