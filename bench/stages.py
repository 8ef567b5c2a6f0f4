"""The duplicate and leakage check on the benchmark's photos, stage by stage, in one process:

    python bench/stages.py DATA/photos

Times each stage of insight's check (the calls `insight scan --duplicates` makes) and of the floor
(bench/floors.py photos-pool), then checks every planted copy of photos/.done.json against insight's
hashes table: each exact copy has its original's sha256, and each near copy is at most the near-copy
threshold from its original's pHash (so the near-leakage search, which compares every held-out hash with
every train hash, finds it). Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def insight_stages(root: Path) -> tuple[dict, object]:
    from insight.config import Config
    from insight.diagnose.duplicates import duplicate_findings_of
    from insight.formats import load_dataset
    from insight.images.hashes import hash_images
    from insight.images.leakage import with_thumbnails

    config, t = Config(), {}
    start = time.perf_counter()
    ds = load_dataset(root, config)
    t["load the annotations (COCO JSON)"] = time.perf_counter() - start
    start = time.perf_counter()
    hashes = hash_images(ds, config)
    t["read + sha256 + pHash every image (pool)"] = time.perf_counter() - start
    start = time.perf_counter()
    findings = duplicate_findings_of(hashes, config.near_duplicate_hamming, config.workers, config.executor)
    t["compare: exact groups, near search, findings"] = time.perf_counter() - start
    start = time.perf_counter()
    findings = [with_thumbnails(f, ds.root) for f in findings]
    t["thumbnails of the example pairs"] = time.perf_counter() - start
    counts = {f.code: f.count for f in findings}
    return {"stages": t, "counts": counts}, hashes


def floor_stages(root: Path) -> dict:
    import floors

    t = {}
    start = time.perf_counter()
    floors.photos_pool(root)
    t["floor: list, hash in a pool, compare"] = time.perf_counter() - start
    return t


def check_copies(root: Path, hashes) -> dict:
    from insight.config import DEFAULT_NEAR_DUPLICATE_HAMMING

    planted = json.loads((root / ".done.json").read_text())["summary"]["copies"]
    by_path = {p: (s, ph) for p, s, ph in zip(hashes["path"], hashes["sha256"], hashes["phash"])}
    missed, distances = [], []
    for kind, pairs in planted.items():
        for copy, original in pairs:
            (sa, pa), (sb, pb) = by_path.get(copy, (None, None)), by_path.get(original, (None, None))
            if kind == "leakage_near":
                ok = pa is not None and pb is not None
                d = bin(int(pa, 16) ^ int(pb, 16)).count("1") if ok else None
                distances.append(d)
                ok = ok and d <= DEFAULT_NEAR_DUPLICATE_HAMMING
            else:
                ok = sa is not None and sa == sb
            if not ok:
                missed.append(f"{kind}: {copy} (copy of {original})")
    return {"planted": {k: len(v) for k, v in planted.items()}, "missed": missed,
            "near_bits_max": max((d for d in distances if d is not None), default=None)}


def main(argv=None) -> int:
    root = Path((argv or sys.argv[1:])[0])
    found, hashes = insight_stages(root)
    out = {**found, "floor_stages": floor_stages(root), "copies": check_copies(root, hashes),
           "images": len(hashes), "cores": os.cpu_count()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
