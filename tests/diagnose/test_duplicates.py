"""The duplicate and leakage diagnosis on hand-built hashes tables (no files).

Hashes are written so the expected answer can be read off by eye: sha256 values are short labels
("s1", "s2"...), perceptual hashes are hex words whose set bits are easy to count
(0x3ff = ten low bits set, 0x7ff = eleven).
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from insight.diagnose import duplicates
from insight.diagnose.duplicates import (LEAKAGE_CODES, NEAR_DUPLICATE_HAMMING, duplicate_findings_of,
                                         nearest_hashes, skipped_finding)
from insight.analysis.messages import message_for


def table(rows) -> pd.DataFrame:
    """rows: (split, path, sha256, phash hex or None)."""
    return pd.DataFrame([{"image_id": p, "split": s, "path": p, "sha256": sha, "phash": ph,
                          "error": None if ph else "cannot decode: test"} for s, p, sha, ph in rows])


def by_code(findings):
    return {f.code: f for f in findings}


ZERO = "0000000000000000"


def test_threshold_is_the_documented_ten_bits():
    assert NEAR_DUPLICATE_HAMMING == 10


def test_hamming_boundary_ten_matches_eleven_does_not():
    found = by_code(duplicate_findings_of(table([
        ("train", "train/a.png", "s1", ZERO),
        ("val", "val/ten.png", "s2", "00000000000003ff"),  # 10 bits from train/a.png: a near copy
        ("val", "val/eleven.png", "s3", "00000000000007ff"),  # 11 bits: not
        ("test", "test/ten_high.png", "s4", "ffc0000000000000"),  # 10 high bits: a near copy
    ])))
    near = found["leakage_near"]
    assert near.count == 2
    assert near.values["by_split"] == {"val": 1, "test": 1}
    assert near.values["share_by_split"] == {"val": 0.5, "test": 1.0}
    assert [(p["a"], p["b"], p["distance"]) for p in near.values["pairs"]] == [
        ("train/a.png", "val/ten.png", 10), ("train/a.png", "test/ten_high.png", 10)]
    assert "leakage_exact" not in found and "duplicate_within_split" not in found


def test_threshold_option_moves_the_boundary():
    rows = table([("train", "t.png", "s1", ZERO), ("val", "v.png", "s2", "00000000000003ff")])
    assert "leakage_near" not in by_code(duplicate_findings_of(rows, max_distance=9))
    assert by_code(duplicate_findings_of(rows, max_distance=10))["leakage_near"].count == 1


def test_exact_pairs_are_not_counted_again_as_near():
    found = by_code(duplicate_findings_of(table([
        ("train", "train/a.png", "s1", ZERO),
        ("val", "val/a_copy.png", "s1", ZERO),  # same bytes: exact only
        ("val", "val/a_jpeg.jpg", "s2", ZERO),  # same picture, other bytes: near (distance 0)
    ])))
    assert found["leakage_exact"].count == 1
    assert found["leakage_exact"].values["pairs"] == [
        {"a": "train/a.png", "b": "val/a_copy.png", "split_a": "train", "split_b": "val"}]
    assert found["leakage_near"].count == 1
    assert found["leakage_near"].values["pairs"][0]["b"] == "val/a_jpeg.jpg"
    assert found["leakage_exact"].severity.value == found["leakage_near"].severity.value == "error"
    assert set(LEAKAGE_CODES) == {"leakage_exact", "leakage_near"}


def test_within_split_counts_extra_copies_per_split():
    found = by_code(duplicate_findings_of(table([
        ("train", "train/1.png", "s1", ZERO),
        ("train", "train/2.png", "s1", ZERO),
        ("train", "train/3.png", "s1", ZERO),  # group of 3 in train: 2 extra copies
        ("val", "val/x.png", "s9", "ffffffffffffffff"),
        ("val", "val/y.png", "s9", "ffffffffffffffff"),  # group of 2 in val: 1 extra
        ("test", "test/z.png", "s9", "ffffffffffffffff"),  # same bytes as val/x, but val-test is not compared
    ])))
    within = found["duplicate_within_split"]
    assert within.count == 3
    assert within.values["groups"] == 2
    assert within.values["by_split"] == {"train": 2, "val": 1}
    assert [(p["a"], p["b"]) for p in within.values["pairs"]] == [("train/1.png", "train/2.png"),
                                                                  ("val/x.png", "val/y.png")]
    assert within.severity.value == "warning"
    # 0xfff... is 64 bits from 0: no leakage at all
    assert "leakage_exact" not in found and "leakage_near" not in found
    assert found["duplicates_checked"].values["within_split"] == 3


def test_clean_table_gives_only_the_checked_note():
    findings = duplicate_findings_of(table([
        ("train", "t.png", "s1", ZERO), ("val", "v.png", "s2", "ffffffff00000000")]))  # 32 bits apart
    assert [f.code for f in findings] == ["duplicates_checked"]
    assert findings[0].severity.value == "info"
    assert "None found" in message_for(findings[0])


def test_unreadable_rows_are_counted_and_left_out():
    found = by_code(duplicate_findings_of(table([
        ("train", "t.png", "s1", ZERO),
        ("val", "v_undecodable.png", "s1", None),  # same bytes as train, no phash: still an exact leak
        ("val", "v_unread.png", None, None),
    ])))
    assert found["leakage_exact"].count == 1
    assert found["duplicates_unreadable"].values["unread"] == 1
    assert found["duplicates_unreadable"].values["undecoded"] == 1
    assert found["duplicates_unreadable"].count == 2


def test_no_train_split_means_no_leakage_check():
    found = by_code(duplicate_findings_of(table([("val", "a.png", "s1", ZERO), ("test", "b.png", "s1", ZERO)])))
    assert set(found) == {"duplicates_checked"}
    assert found["duplicates_checked"].values["held_out"] == []
    assert "could not be checked" in message_for(found["duplicates_checked"])


def test_skipped_finding_says_why():
    f = skipped_finding("the dataset has annotations but no image files")
    assert f.code == "duplicates_skipped" and f.severity.value == "info"
    assert "no image files" in message_for(f)


def test_blocked_search_equals_brute_force(monkeypatch):
    # independent: Python's bin().count over every pair
    rng = random.Random(7)
    queries = [rng.getrandbits(64) for _ in range(37)]
    refs = [rng.getrandbits(64) for _ in range(53)]
    queries[5] = refs[11] ^ 0b1011  # a 3-bit neighbour
    monkeypatch.setattr(duplicates, "BLOCK_CELLS", 100)  # blocks of 1 query row (100 // 53)
    distance, nearest = nearest_hashes(np.array(queries, dtype=np.uint64), np.array(refs, dtype=np.uint64))
    for i, q in enumerate(queries):
        dists = [bin(q ^ r).count("1") for r in refs]
        assert distance[i] == min(dists)
        assert dists[nearest[i]] == min(dists)
    assert distance[5] == 3 and nearest[5] == 11


@pytest.mark.parametrize("block", [1, 64, 1 << 22])
def test_block_size_does_not_change_the_answer(monkeypatch, block):
    monkeypatch.setattr(duplicates, "BLOCK_CELLS", block)
    distance, nearest = nearest_hashes(np.array([0, 0xff, 2 ** 63], dtype=np.uint64),
                                       np.array([0b1, 0xf0f0, 2 ** 63 + 1], dtype=np.uint64))
    # 0 vs 0b1: 1 bit; 0xff vs 0xf0f0: 8 bits, vs 0b1: 7 bits; 2**63 vs 2**63+1: 1 bit
    assert distance.tolist() == [1, 7, 1]
    assert nearest.tolist() == [0, 0, 2]


def test_popcount_fallback_matches_builtin(monkeypatch):
    x = np.array([0, 1, 0xff, 2 ** 64 - 1, 0x8000000000000001], dtype=np.uint64)
    assert duplicates._popcount(x).tolist() == [0, 1, 8, 64, 2]
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert duplicates._popcount(x).tolist() == [0, 1, 8, 64, 2]


@pytest.mark.parametrize("where", ["process pool", "executor"])
def test_the_search_in_a_pool_or_on_an_executor_equals_brute_force(monkeypatch, where):
    """Independent: Python's bin().count over every pair. Blocks of one query row (100 // 53), and
    every block leaves the process (POOL_MIN_BLOCKS 1)."""
    rng = random.Random(11)
    queries = [rng.getrandbits(64) for _ in range(40)]
    refs = [rng.getrandbits(64) for _ in range(53)]
    queries[7] = refs[30] ^ 0b110  # a 2-bit neighbour
    monkeypatch.setattr(duplicates, "BLOCK_CELLS", 100)
    monkeypatch.setattr(duplicates, "POOL_MIN_BLOCKS", 1)
    q, r = np.array(queries, dtype=np.uint64), np.array(refs, dtype=np.uint64)
    if where == "executor":
        with ThreadPoolExecutor(2) as executor:
            distance, nearest = nearest_hashes(q, r, executor=executor)
    else:
        distance, nearest = nearest_hashes(q, r, workers=2)
    for i, query in enumerate(queries):
        dists = [bin(query ^ ref).count("1") for ref in refs]
        assert distance[i] == min(dists) and nearest[i] == dists.index(min(dists))
    assert distance[7] == 2 and nearest[7] == 30


def test_missing_files_are_not_called_unreadable_nor_counted_as_checked():
    # the real Roboflow medical-waste COCO export lacks its 50 val images: the report said "Checked 75 images
    # for copies" (25 were read) and warned that the 50 "could not be read", besides the loader's error
    # naming them missing. By hand: 2 read, 2 missing, 1 unreadable for another reason
    from insight.diagnose.duplicates import MISSING_FILE

    rows = table([("train", "t.png", "s1", ZERO), ("val", "v.png", "s2", "ffffffff00000000"),
                  ("val", "gone1.png", None, None), ("val", "gone2.png", None, None),
                  ("val", "locked.png", None, None)])
    rows.loc[rows["path"].isin(["gone1.png", "gone2.png"]), "error"] = MISSING_FILE
    rows.loc[rows["path"] == "locked.png", "error"] = "cannot read: permission denied"
    found = by_code(duplicate_findings_of(rows))
    assert found["duplicates_unreadable"].count == 1 and found["duplicates_unreadable"].examples == ("locked.png",)
    checked = found["duplicates_checked"]
    assert (checked.count, checked.values["images"], checked.values["missing"]) == (2, 2, 2)
    assert message_for(checked).startswith("Checked 2 images (not the 2 image files that are missing) for copies")
