"""Hashing real files written with Pillow in tmp_path, and the whole check on a tiny dataset.

Expected outcomes come from how the files were made: a byte copy must share the sha256 (checked with
hashlib on the raw file), a resized JPEG re-encode of the same drawing must be a near copy, a
different drawing must match nothing, garbage bytes must decode to nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageDraw

from insight.config import Config
from insight.diagnose.duplicates import MISSING_FILE, duplicate_findings_of
from insight.images import hashes as hashes_module
from insight.images.hashes import HASH_COLUMNS, hash_images, thumbnail_uri
from insight.images.leakage import duplicate_findings
from insight.report.serialize import jsonable
from insight.model import Dataset
from insight.model.dataset import empty_labels
from insight.analysis.messages import message_for
from insight.scheduler import ClusterError


def drawing_a() -> Image.Image:
    """Dark field, a bright block top-left, a grey disc bottom-right, a bar across the middle."""
    img = Image.new("RGB", (240, 180), (20, 30, 40))
    d = ImageDraw.Draw(img)
    d.rectangle([10, 10, 100, 80], fill=(250, 240, 230))
    d.ellipse([140, 90, 230, 175], fill=(128, 128, 128))
    d.rectangle([0, 85, 240, 100], fill=(200, 60, 60))
    return img


def drawing_b() -> Image.Image:
    """A clearly different picture: light field, vertical dark stripes, a dark disc top-right."""
    img = Image.new("RGB", (240, 180), (230, 230, 210))
    d = ImageDraw.Draw(img)
    for x in range(0, 240, 40):
        d.rectangle([x, 0, x + 15, 180], fill=(30, 30, 30))
    d.ellipse([150, 5, 235, 80], fill=(10, 10, 90))
    return img


def make_dataset(root: Path) -> Dataset:
    """train: a.png, b.png, a_again.png (same bytes as a.png); val: a.png's byte copy, a resized JPEG
    of drawing A, a different drawing; test: garbage bytes; a listed file that does not exist."""
    (root / "train").mkdir(parents=True)
    (root / "val").mkdir()
    (root / "test").mkdir()
    drawing_a().save(root / "train" / "a.png")
    drawing_b().resize((200, 150)).rotate(90, expand=True).save(root / "train" / "b.png")
    shutil.copyfile(root / "train" / "a.png", root / "train" / "a_again.png")
    shutil.copyfile(root / "train" / "a.png", root / "val" / "copy_of_a.png")
    drawing_a().resize((120, 90)).save(root / "val" / "a_small.jpg", quality=75)
    drawing_b().save(root / "val" / "other.png")
    (root / "test" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    paths = [("train", "train/a.png"), ("train", "train/b.png"), ("train", "train/a_again.png"),
             ("val", "val/copy_of_a.png"), ("val", "val/a_small.jpg"), ("val", "val/other.png"),
             ("test", "test/broken.png"), ("test", "test/missing.png")]
    images = pd.DataFrame({"image_id": [p for _, p in paths], "split": [s for s, _ in paths],
                           "path": [p for _, p in paths], "width": float("nan"), "height": float("nan")})
    return Dataset(root=str(root), task="classification", format="test", classes=("x",),
                   images=images, labels=empty_labels())


@pytest.fixture
def dataset(tmp_path) -> Dataset:
    return make_dataset(tmp_path / "ds")


def test_hash_table_columns_and_sha256(dataset):
    raw = hash_images(dataset, Config(workers=1))
    assert tuple(raw.columns) == HASH_COLUMNS == ("image_id", "split", "path", "sha256", "phash", "error")
    table = raw.set_index("path")
    root = Path(dataset.root)
    for path in ("train/a.png", "val/a_small.jpg", "test/broken.png"):
        # independent: hashlib over the raw file
        assert table.loc[path, "sha256"] == hashlib.sha256((root / path).read_bytes()).hexdigest()
    assert table.loc["train/a.png", "sha256"] == table.loc["val/copy_of_a.png", "sha256"]
    assert table.loc["train/a.png", "sha256"] != table.loc["val/a_small.jpg", "sha256"]


def test_unreadable_files_are_recorded_not_raised(dataset):
    table = hash_images(dataset, Config(workers=1)).set_index("path")
    assert table.loc["test/broken.png", "sha256"] is not None  # the bytes were read
    assert table.loc["test/broken.png", "phash"] is None
    assert table.loc["test/broken.png", "error"].startswith("cannot decode")
    assert table.loc["test/missing.png", "sha256"] is None
    assert table.loc["test/missing.png", "error"] == MISSING_FILE  # the loader's image_missing names it
    assert table.loc["train/a.png", "error"] is None


def test_phash_distances_by_construction(dataset):
    table = hash_images(dataset, Config(workers=1)).set_index("path")

    def bits(p, q):
        return bin(int(table.loc[p, "phash"], 16) ^ int(table.loc[q, "phash"], 16)).count("1")

    assert len(table.loc["train/a.png", "phash"]) == 16  # 64 bits as hex
    assert bits("train/a.png", "val/copy_of_a.png") == 0
    assert bits("train/a.png", "val/a_small.jpg") <= 4  # same drawing, halved and JPEG-encoded
    assert bits("train/a.png", "val/other.png") > 20  # a different drawing
    assert bits("train/b.png", "val/other.png") > 20  # drawing B, but turned 90 degrees: not a copy


def test_process_pool_gives_the_same_table_in_order(tmp_path):
    root = tmp_path / "many"
    (root / "train").mkdir(parents=True)
    paths = []
    for i in range(hashes_module.POOL_MIN_FILES + 4):
        img = drawing_a() if i % 2 else drawing_b()
        img.resize((100 + i, 80)).save(root / "train" / f"{i:02d}.png")
        paths.append(f"train/{i:02d}.png")
    images = pd.DataFrame({"image_id": paths, "split": "train", "path": paths,
                           "width": float("nan"), "height": float("nan")})
    ds = Dataset(root=str(root), task="classification", format="test", classes=("x",),
                 images=images, labels=empty_labels())
    seen = []

    def progress(items, total=None, desc=""):
        seen.append(total)
        yield from items

    pooled = hash_images(ds, Config(workers=2), progress)
    serial = hash_images(ds, Config(workers=1))
    pd.testing.assert_frame_equal(pooled, serial)
    assert list(pooled["path"]) == paths
    assert seen == [len(paths)]


def test_whole_check_on_the_dataset(dataset):
    findings = {f.code: f for f in duplicate_findings(dataset, Config(workers=1))}
    # by construction: a_again.png repeats a.png in train (1 extra copy); copy_of_a.png is an exact
    # leak into val; a_small.jpg a near leak; other.png nothing; broken undecodable; missing.png is not
    # there, which the loader's image_missing says: the check counts it apart, not as unreadable
    assert set(findings) == {"duplicate_within_split", "leakage_exact", "leakage_near",
                             "duplicates_unreadable", "duplicates_checked"}
    assert findings["duplicate_within_split"].count == 1
    assert findings["leakage_exact"].count == 1
    assert findings["leakage_exact"].values["pairs"][0]["b"] == "val/copy_of_a.png"
    assert findings["leakage_exact"].values["share_by_split"] == {"val": 1 / 3}
    near = findings["leakage_near"]
    assert near.count == 1
    assert near.values["pairs"][0]["a"] == "train/a.png"  # a.png sorts before a_again.png
    assert near.values["pairs"][0]["b"] == "val/a_small.jpg"
    assert findings["duplicates_unreadable"].values == {
        "unread": 0, "undecoded": 1, "reasons": findings["duplicates_unreadable"].values["reasons"]}
    checked = findings["duplicates_checked"]
    assert checked.values["missing"] == 1 and checked.values["images"] == len(dataset.images) - 1
    assert f"Checked {len(dataset.images) - 1} images (not the 1 image file that is missing)" in message_for(checked)
    thumbs = near.media
    assert set(thumbs) == {"train/a.png", "val/a_small.jpg"}
    assert all(u.startswith("data:image/jpeg;base64,") for u in thumbs.values())
    assert "media" not in jsonable(near) and "base64" not in str(jsonable(near))  # kept out of insight.json
    for f in findings.values():
        assert message_for(f)  # every code has wording that renders with its values


def test_near_copy_is_found_in_the_pool_and_messages_name_the_consequence(dataset):
    findings = {f.code: f for f in duplicate_findings(dataset, Config(workers=2))}
    assert "read better than they should" in message_for(findings["leakage_exact"])
    assert "read better than they should" in message_for(findings["leakage_near"])


def test_labels_only_dataset_is_skipped_and_says_why():
    images = pd.DataFrame({"image_id": ["a"], "split": ["train"], "path": ["images/a.jpg"],
                           "width": 10.0, "height": 10.0})
    ds = Dataset(root="/nonexistent", task="detection", format="test", classes=("x",),
                 images=images, labels=empty_labels(), has_image_files=False)
    (finding,) = duplicate_findings(ds, Config())
    assert finding.code == "duplicates_skipped"
    assert "skipped" in message_for(finding) and "no image files" in message_for(finding)


def test_thumbnail_is_small_jpeg(tmp_path):
    path = tmp_path / "a.png"
    drawing_a().save(path)
    uri = thumbnail_uri(str(path))
    import base64
    import io

    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.format == "JPEG" and max(img.size) == hashes_module.THUMB_PX  # 240x180 -> 96x72
    assert img.size == (96, 72)
    assert thumbnail_uri(str(tmp_path / "missing.png")) is None


def test_hashes_feed_the_diagnosis_unchanged(dataset):
    table = hash_images(dataset, Config(workers=1))
    codes = [f.code for f in duplicate_findings_of(table)]
    assert codes == ["duplicate_within_split", "leakage_exact", "leakage_near",
                     "duplicates_unreadable", "duplicates_checked"]


def test_real_roboflow_export_leaks_video_frames_into_val_and_test():
    """Real Roboflow YOLOv8 export (fire-8 subset): frames of the same video sit in train, valid and
    test. Expected set computed independently: imagehash.phash on the fully decoded files (no draft
    mode), nearest train image per held-out image, kept when <= 10 bits."""
    import imagehash

    from tests.realdata import realdata

    root = realdata("yolo/roboflow_fire8_subset/fire-8")
    rows = [(f"{folder}/images/{p.name}", split) for folder, split in (("train", "train"), ("valid", "val"),
                                                                      ("test", "test"))
            for p in sorted((root / folder / "images").iterdir())]
    images = pd.DataFrame({"image_id": [r[0] for r in rows], "split": [r[1] for r in rows],
                           "path": [r[0] for r in rows], "width": 608.0, "height": 608.0})
    ds = Dataset(root=str(root), task="detection", format="test", classes=("fire",), images=images,
                 labels=empty_labels())
    full = {p: imagehash.phash(Image.open(root / p)) for p, _ in rows}
    train = [p for p, s in rows if s == "train"]
    expected = {p for p, s in rows if s != "train" and min(full[p] - full[t] for t in train) <= 10}
    assert len(expected) == 4  # fire2 frames 33, 38 (valid) and 29, 37 (test)

    found = {f.code: f for f in duplicate_findings(ds, Config(workers=2))}
    near = found["leakage_near"]
    assert {p["b"] for p in near.values["pairs"]} == expected and near.count == 4
    assert near.values["by_split"] == {"val": 2, "test": 2}
    assert "leakage_exact" not in found and "duplicate_within_split" not in found


def test_decompression_bomb_is_recorded_with_the_limit_kept_on(tmp_path, monkeypatch):
    # Pillow refuses images over 2 x MAX_IMAGE_PIXELS; lowered here so a 100 x 100 PNG (10,000 px)
    # counts as a bomb (> 2 x 1,000). The limit is Pillow's own and stays on in insight.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = tmp_path / "bomb.png"
    Image.new("L", (100, 100)).save(path)
    sha, phash, error = hashes_module.hash_file(str(path))
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert phash is None and error.startswith("cannot decode: DecompressionBombError")


def test_real_labels_only_yolo_export_skips_the_check():
    """lightly coco128 detection labels without images: the loader says has_image_files False."""
    from insight.formats import load_dataset
    from tests.realdata import realdata

    ds = load_dataset(realdata("yolo/lightly_coco128_detect_labels_only"), Config())
    assert not ds.has_image_files
    (finding,) = duplicate_findings(ds, Config())
    assert finding.code == "duplicates_skipped" and finding.count == 0


class WorkersWithoutTheFiles(ThreadPoolExecutor):
    """A cluster whose workers do not share this machine's files: each task hashes the same paths
    under a folder that does not exist there."""

    def submit(self, fn, chunk, shared=None):
        return super().submit(lambda: [hashes_module.hash_file("/no-such-share" + path) for path in chunk])


def test_a_cluster_that_cannot_see_the_files_stops_the_check(dataset):
    with WorkersWithoutTheFiles(1) as executor, pytest.raises(ClusterError) as raised:
        hash_images(dataset, Config(scheduler="tcp://cluster:8786", executor=executor))
    assert str(raised.value).startswith("tcp://cluster:8786: the cluster's workers cannot read the dataset's files")


def test_on_an_executor_the_hashes_are_the_local_ones(dataset):
    with ThreadPoolExecutor(2) as executor:
        remote = hash_images(dataset, Config(executor=executor))
    pd.testing.assert_frame_equal(remote, hash_images(dataset, Config(workers=1)))
