"""Duplicate images within a split and shared between train and the held-out splits (leakage).

Pure: a hashes table (insight.images.hashes.HASH_COLUMNS: image_id, split, path, sha256, phash,
error) in, findings out. No file is opened here.

- `duplicate_within_split` (warning): files with the same bytes (sha256) in one split. count = the
  extra copies (a group of 3 equal files counts 2).
- `leakage_exact` (error): held-out images (every split but train) whose bytes equal a train image.
- `leakage_near` (error): held-out images, not already exact leaks, whose perceptual hash is at most
  NEAR_DUPLICATE_HAMMING bits from some train image's (a re-encoded, resized or lightly edited copy).
- `duplicates_unreadable` (warning): images that could not be read or decoded, left out of a check. A
  file that is not there (error MISSING_FILE) is not counted here: the loader's `image_missing` says so.
- `duplicates_checked` (info): what was compared, always present when the check ran: the images read,
  and how many were missing.
Leakage makes validation loss and metrics read better than they should: the model is scored on
pictures it trained on.

Near-duplicate search: exact Hamming distances, all held-out hashes against all train hashes, by
XOR and popcount on uint64 arrays in blocks of at most BLOCK_CELLS pairs (memory stays flat). Equal
hashes are compared once (np.unique on both sides). That is m x n bit operations done by numpy in C
with no Python loop over pairs: 20k val x 80k train hashes (1.6e9 pairs) took 1.0 s in one process
with blocks of 2^20 pairs (blocks of 2^22 took 2.0 s: an 8 MB block stays in the CPU's cache).
The blocks of held-out hashes go through the per-image seam (insight.pool) with the train hashes as
its shared data: in-process when there are few, else on every core, or on a cluster, which receives
the train hashes once. The sha256 joins and the counts are cheap table operations and stay here.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np
import pandas as pd

from insight.config import DEFAULT_NEAR_DUPLICATE_HAMMING
from insight.model.dataset import order_splits
from insight.model.findings import Finding, Severity
from insight.pool import pooled_map

# Our threshold, the default of idealo/imagededup's hashing `find_duplicates`
# (max_distance_threshold=10, "less than or equal", on the same 64-bit pHash). Measured on the 98
# distinct real photos of the test corpus: different pictures sit 31 +- 4.8 bits apart, every pair
# at <= 12 bits was the same scene (re-exported screenshots, neighbouring video frames at 2-10 bits),
# and a halved JPEG re-encode of a drawing lands 0-2 bits from its original. Uniform random hashes
# would match at <= 10 bits with probability ~1e-8 a pair: a handful of chance matches per 1e9 pairs.
# Option: Config.near_duplicate_hamming.
NEAR_DUPLICATE_HAMMING = DEFAULT_NEAR_DUPLICATE_HAMMING
HASH_BITS = 64
MAX_PAIRS = 5  # example pairs kept per finding
BLOCK_CELLS = 1 << 20  # pair distances computed at once: 1M x 8 bytes = 8 MB, ~1.7 ms
POOL_MIN_BLOCKS = 128  # fewer blocks than this (~0.2 s of work) are searched in-process
CLUSTER_BLOCKS = 256  # blocks a task on a cluster: ~0.4 s of work against ~1 ms of scheduling
TRAIN = "train"
LEAKAGE_CODES = ("leakage_exact", "leakage_near")
MISSING_FILE = "missing file"  # the hashes table's error for an image file that is not there


def duplicate_findings_of(hashes: pd.DataFrame, max_distance: int = NEAR_DUPLICATE_HAMMING,
                          workers: int | None = None, executor: Executor | None = None) -> list[Finding]:
    """Every duplicate and leakage finding for one hashes table, in a fixed order. `workers` and
    `executor` say where the near-duplicate search runs (insight.pool.pooled_map); the findings
    are the same wherever it runs."""
    table = _ordered(hashes)
    readable = table[table["sha256"].notna()]
    within = _within_split(readable)
    sizes = table["split"].value_counts()
    exact, exact_ids = _exact_leakage(readable, sizes)
    near = _near_leakage(readable[readable["phash"].notna()], exact_ids, max_distance, sizes,
                         workers, executor)
    found = [f for f in (within, exact, near) if f is not None]
    unreadable = _unreadable(table)
    checked = _checked(table, within, exact, near, max_distance)
    return found + ([unreadable] if unreadable else []) + [checked]


def skipped_finding(reason: str) -> Finding:
    """`duplicates_skipped`: the check did not run (e.g. a labels-only dataset), and why."""
    return Finding("duplicates_skipped", Severity.INFO, count=0, values={"reason": reason})


def _ordered(hashes: pd.DataFrame) -> pd.DataFrame:
    """Rows by split (train, val, test, others) then path, so examples are the same on every run."""
    rank = {s: i for i, s in enumerate(order_splits(hashes["split"].unique()))}
    key = hashes["split"].map(rank)
    return hashes.assign(_rank=key).sort_values(["_rank", "path"], kind="stable").drop(columns="_rank")


def _within_split(df: pd.DataFrame) -> Finding | None:
    dup = df[df.duplicated(["split", "sha256"], keep=False)]
    if dup.empty:
        return None
    groups = dup.groupby(["split", "sha256"], sort=False)["path"]
    extra = dup[groups.cumcount() > 0]  # every copy after the first of its group
    pairs = []
    for (split, _), paths in groups:  # groups in order of their first file
        if len(pairs) == MAX_PAIRS:
            break
        pairs.append(_pair(paths.iloc[0], paths.iloc[1], split, split))
    by_split = {s: int(n) for s, n in extra["split"].value_counts().items()}
    values = {"groups": int(groups.ngroups), "by_split": _split_order(by_split), "pairs": pairs}
    return Finding("duplicate_within_split", Severity.WARNING, count=len(extra), values=values,
                   examples=[f"{p['b']} = {p['a']}" for p in pairs])


def _exact_leakage(df: pd.DataFrame, sizes: pd.Series) -> tuple[Finding | None, set]:
    """The finding, and the image_ids of the held-out images it covers."""
    train, held = df[df["split"] == TRAIN], df[df["split"] != TRAIN]
    leaked = held[held["sha256"].isin(train["sha256"])]
    if leaked.empty:
        return None, set()
    first_train = train.drop_duplicates("sha256").set_index("sha256")["path"]
    pairs = [_pair(first_train[r.sha256], r.path, TRAIN, r.split) for r in leaked.head(MAX_PAIRS).itertuples()]
    finding = Finding("leakage_exact", Severity.ERROR, count=len(leaked),
                      values=_leak_values(leaked, sizes, pairs), examples=[f"{p['b']} = {p['a']}" for p in pairs])
    return finding, set(leaked["image_id"])


def _near_leakage(df: pd.DataFrame, exact_ids: set, max_distance: int, sizes: pd.Series,
                  workers: int | None, executor: Executor | None) -> Finding | None:
    """Held-out images already counted as exact leaks are left out (no pair is counted twice)."""
    train = df[df["split"] == TRAIN]
    held = df[(df["split"] != TRAIN) & ~df["image_id"].isin(exact_ids)]
    if train.empty or held.empty:
        return None
    train_hashes, train_first = np.unique(_as_uint64(train["phash"]), return_index=True)
    held_hashes, held_of = np.unique(_as_uint64(held["phash"]), return_inverse=True)
    distance, nearest = nearest_hashes(held_hashes, train_hashes, workers, executor)
    hit = distance[held_of] <= max_distance
    if not hit.any():
        return None
    leaked = held[hit].assign(near_distance=distance[held_of][hit],
                              near_train=train["path"].to_numpy()[train_first[nearest[held_of][hit]]])
    pairs = [_pair(r.near_train, r.path, TRAIN, r.split, int(r.near_distance))
             for r in leaked.head(MAX_PAIRS).itertuples()]
    values = _leak_values(leaked, sizes, pairs)
    values.update(max_distance=int(max_distance), hash_bits=HASH_BITS)
    return Finding("leakage_near", Severity.ERROR, count=len(leaked), values=values,
                   examples=[f"{p['b']} ~ {p['a']} ({p['distance']} bits)" for p in pairs])


def nearest_hashes(queries: np.ndarray, refs: np.ndarray, workers: int | None = None,
                   executor: Executor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each uint64 query: the smallest Hamming distance to any ref, and that ref's index.

    Exhaustive and exact, in blocks of queries of at most BLOCK_CELLS distances each, so memory stays
    flat; the blocks go through insight.pool with `refs` as the shared data (see the module's notes).
    """
    distance = np.full(len(queries), HASH_BITS + 1, dtype=np.int64)
    nearest = np.zeros(len(queries), dtype=np.int64)
    if len(refs) == 0:
        return distance, nearest
    rows = max(1, BLOCK_CELLS // len(refs))
    blocks = [queries[start:start + rows] for start in range(0, len(queries), rows)]
    done = pooled_map(nearest_in_block, blocks, workers, sequential_below=POOL_MIN_BLOCKS, executor=executor,
                      cluster_chunksize=CLUSTER_BLOCKS, shared=refs)
    for start, (block_distance, block_nearest) in zip(range(0, len(queries), rows), done):
        distance[start:start + rows] = block_distance
        nearest[start:start + rows] = block_nearest
    return distance, nearest


def nearest_in_block(block: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(smallest distance, index of the ref at that distance, the first such) for each query of `block`."""
    distances = _popcount(block[:, None] ^ refs[None, :])
    best = distances.argmin(axis=1)
    return distances[np.arange(len(best)), best].astype(np.int64), best.astype(np.int64)


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits of each uint64 (numpy >= 2 has it built in; older numpy: a byte lookup table)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _BYTE_BITS[x.view(np.uint8)].reshape(*x.shape, 8).sum(axis=-1, dtype=np.uint8)


def _as_uint64(hexes: pd.Series) -> np.ndarray:
    return np.array([int(h, 16) for h in hexes], dtype=np.uint64)


def _pair(a: str, b: str, split_a: str, split_b: str, distance: int | None = None) -> dict:
    """An example pair: `a` the train (or first) file, `b` its copy; distance in bits for near ones."""
    pair = {"a": str(a), "b": str(b), "split_a": str(split_a), "split_b": str(split_b)}
    if distance is not None:
        pair["distance"] = distance
    return pair


def _leak_values(leaked: pd.DataFrame, sizes: pd.Series, pairs: list[dict]) -> dict:
    """by_split: {split: leaked images}; share_by_split: {split: leaked / all images of that split}."""
    counts = leaked["split"].value_counts()
    by_split = _split_order({s: int(n) for s, n in counts.items()})
    share = {s: n / int(sizes[s]) for s, n in by_split.items()}
    return {"by_split": by_split, "share_by_split": share, "splits": list(by_split), "pairs": pairs}


def _split_order(counts: dict[str, int]) -> dict[str, int]:
    return {s: counts[s] for s in order_splits(counts)}


def _unreadable(table: pd.DataFrame) -> Finding | None:
    unread = table[table["sha256"].isna() & (table["error"] != MISSING_FILE)]
    undecoded = table[table["sha256"].notna() & table["phash"].isna()]
    if unread.empty and undecoded.empty:
        return None
    both = pd.concat([unread, undecoded])
    values = {"unread": len(unread), "undecoded": len(undecoded),
              "reasons": [f"{r.path}: {r.error}" for r in both.head(MAX_PAIRS).itertuples()]}
    return Finding("duplicates_unreadable", Severity.WARNING, count=len(both), values=values,
                   examples=list(both["path"].head(MAX_PAIRS)))


def _checked(table: pd.DataFrame, within, exact, near, max_distance: int) -> Finding:
    splits = order_splits(table["split"].unique())
    held = [s for s in splits if s != TRAIN]
    read = int(table["sha256"].notna().sum())
    values = {"images": read, "missing": int((table["error"] == MISSING_FILE).sum()),
              "hashed": int(table["phash"].notna().sum()),
              "splits": splits, "held_out": held if TRAIN in splits else [],
              "within_split": within.count if within else 0, "exact": exact.count if exact else 0,
              "near": near.count if near else 0, "max_distance": int(max_distance), "hash_bits": HASH_BITS}
    return Finding("duplicates_checked", Severity.INFO, count=read, values=values)
