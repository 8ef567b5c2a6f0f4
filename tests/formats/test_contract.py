"""The contract every dataset reader keeps, run over every reader `readers()` returns.

On small hand-built datasets, each reader
- is the only reader that claims each of its layouts (the registry picks it, no other is as sure),
- returns the tables counted by hand below (images per split, label count per class and split),
- keeps a declared class with zero labels,
- reports missing image files per split, and says once when there is no image at all,
- turns a broken file into a one-line error naming it (or, where the rest can be read, a finding).
A reader added to the registry without cases here fails `test_every_reader_has_cases`.

Every dataset below holds the same story: train images a and b, val image c, classes cat, dog and
bird, bird never labelled. Counts follow the task's definition (stats.classes.COUNT_OF).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from insight.config import Config
from insight.errors import DatasetError
from insight.formats import detect, load_dataset, readers
from insight.stats.classes import label_counts, label_counts_by_split

ONE = Config(workers=1)
CLASSES = ("cat", "dog", "bird")


def jpg(path: Path, size=(100, 80)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 60, 30)).save(path)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def png_mask(path: Path, values: list[int], size=(100, 80)) -> None:
    """A mask whose columns are split evenly between `values`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    for k, v in enumerate(values):
        mask[:, k * w // len(values):(k + 1) * w // len(values)] = v
    Image.fromarray(mask, mode="L").save(path)


# ------------------------------------------------------------------ the datasets, per reader

BOXES = {"a": ["cat", "cat", "dog"], "b": ["dog"], "c": ["cat"]}  # detection: boxes per image
SPLIT = {"a": "train", "b": "train", "c": "val"}
DETECTION_COUNTS = {"cat": {"train": 2, "val": 1}, "dog": {"train": 2, "val": 0}, "bird": {"train": 0, "val": 0}}
PAIRS_COUNTS = {"cat": {"train": 1, "val": 1}, "dog": {"train": 2, "val": 0}, "bird": {"train": 0, "val": 0}}


def coco_instances(root: Path) -> None:
    for split in ("train", "val"):
        names = [n for n in BOXES if SPLIT[n] == split]
        anns = [{"id": 10 * k + j, "image_id": k, "category_id": CLASSES.index(c) + 1, "bbox": [10, 10, 20, 20],
                 "area": 400, "iscrowd": 0} for k, n in enumerate(names) for j, c in enumerate(BOXES[n])]
        write(root / f"annotations/instances_{split}.json", json.dumps({
            "images": [{"id": k, "file_name": f"{n}.jpg", "width": 100, "height": 80} for k, n in enumerate(names)],
            "annotations": anns, "categories": [{"id": i + 1, "name": c} for i, c in enumerate(CLASSES)]}))
        for n in names:
            jpg(root / split / f"{n}.jpg")


def coco_roboflow(root: Path) -> None:
    coco_instances(root / "_tmp")
    for split, folder in (("train", "train"), ("val", "valid")):
        (root / folder).mkdir(parents=True)
        (root / "_tmp/annotations" / f"instances_{split}.json").rename(root / folder / "_annotations.coco.json")
        for image in (root / "_tmp" / split).iterdir():
            image.rename(root / folder / image.name)
    for leftover in sorted((root / "_tmp").rglob("*"), reverse=True):
        leftover.rmdir()
    (root / "_tmp").rmdir()


def _yolo_lines(name: str) -> str:
    return "".join(f"{CLASSES.index(c)} 0.5 0.5 0.2 0.25\n" for c in BOXES[name])


def yolo_ultralytics(root: Path) -> None:
    write(root / "data.yaml", "train: images/train\nval: images/val\nnames: [cat, dog, bird]\n")
    for n, split in SPLIT.items():
        jpg(root / f"images/{split}/{n}.jpg")
        write(root / f"labels/{split}/{n}.txt", _yolo_lines(n))


def yolo_roboflow(root: Path) -> None:
    write(root / "data.yaml", "train: ../train/images\nval: ../valid/images\nnc: 3\nnames: ['cat', 'dog', 'bird']\n")
    for n, split in SPLIT.items():
        folder = "valid" if split == "val" else split
        jpg(root / f"{folder}/images/{n}.jpg")
        write(root / f"{folder}/labels/{n}.txt", _yolo_lines(n))


def _voc_xml(name: str) -> str:
    objects = "".join(f"<object><name>{c}</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>30</xmax>"
                      f"<ymax>30</ymax></bndbox></object>" for c in BOXES[name])
    return (f"<annotation><filename>{name}.jpg</filename><size><width>100</width><height>80</height>"
            f"<depth>3</depth></size>{objects}</annotation>")


def voc_tree(root: Path) -> None:
    write(root / "labelmap.txt", "cat\ndog\nbird\n")
    for n, split in SPLIT.items():
        write(root / f"Annotations/{n}.xml", _voc_xml(n))
        jpg(root / f"JPEGImages/{n}.jpg")
    write(root / "ImageSets/Main/train.txt", "a\nb\n")
    write(root / "ImageSets/Main/val.txt", "c\n")


def voc_roboflow(root: Path) -> None:
    write(root / "labelmap.txt", "cat\ndog\nbird\n")
    for n, split in SPLIT.items():
        folder = "valid" if split == "val" else split
        write(root / f"{folder}/{n}.xml", _voc_xml(n))
        jpg(root / f"{folder}/{n}.jpg")


MASK_VALUES = {"a": [0, 1, 2], "b": [0, 2], "c": [1, 0]}  # 0 background, 1 cat, 2 dog; bird (3) unused


def masks_folders(root: Path) -> None:
    write(root / "classes.txt", "background\ncat\ndog\nbird\n")
    for n, split in SPLIT.items():
        jpg(root / f"images/{split}/{n}.jpg")
        png_mask(root / f"masks/{split}/{n}.png", MASK_VALUES[n])


def masks_roboflow(root: Path) -> None:
    for n, split in SPLIT.items():
        folder = "valid" if split == "val" else split
        jpg(root / f"{folder}/{n}.jpg")
        png_mask(root / f"{folder}/{n}_mask.png", MASK_VALUES[n])
        write(root / f"{folder}/_classes.csv", "Pixel Value, Class\n0, background\n1, cat\n2, dog\n3, bird\n")


FOLDER_IMAGES = {"train": {"cat": ["a", "e"], "dog": ["b"], "bird": []}, "val": {"cat": ["c"], "dog": [], "bird": []}}


def class_folders_split(root: Path) -> None:
    for split, per_class in FOLDER_IMAGES.items():
        for cls, names in per_class.items():
            (root / split / cls).mkdir(parents=True, exist_ok=True)
            for n in names:
                jpg(root / split / cls / f"{n}.jpg")


def class_folders_flat(root: Path) -> None:
    for cls, names in FOLDER_IMAGES["train"].items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for n in names:
            jpg(root / cls / f"{n}.jpg")


TAGS = {"a": ["cat", "dog"], "b": ["dog"], "c": ["cat"]}


def csv_roboflow(root: Path) -> None:
    for split, folder in (("train", "train"), ("val", "valid")):
        rows = "".join(f"{n}.jpg, " + ", ".join("1" if c in TAGS[n] else "0" for c in CLASSES) + "\n"
                       for n in TAGS if SPLIT[n] == split)
        write(root / folder / "_classes.csv", "filename, cat, dog, bird\n" + rows)
        for n in TAGS:
            if SPLIT[n] == split:
                jpg(root / folder / f"{n}.jpg")


def csv_split_column(root: Path) -> None:
    rows = "".join(f"{n}.jpg,{SPLIT[n]}," + ",".join("1" if c in TAGS[n] else "0" for c in CLASSES) + "\n"
                   for n in TAGS)
    write(root / "labels.csv", "filename,split,cat,dog,bird\n" + rows)
    for n in TAGS:
        jpg(root / "images" / f"{n}.jpg")


@dataclass
class Cases:
    """One reader's cases. `layouts`: builders of the same dataset in each layout the reader claims;
    `images`, `counts`: hand counts; `missing`: (remove one image file from the first layout, the
    example the finding must name) or None with a reason; `broken`: (break a file, the file the
    error must name, or a finding code when the rest can still be read)."""

    layouts: list[Callable[[Path], None]]
    images: dict[str, int]
    counts: dict[str, dict[str, int]]
    missing: tuple[str, str] | str
    broken: tuple[Callable[[Path], None], str, str | None]
    task: str
    background: tuple[str, ...] = ()
    by_layout: dict = field(default_factory=dict)  # layout index -> (images, counts) where they differ


def _truncate(path: str, keep: int = 40) -> Callable[[Path], None]:
    def cut(root: Path) -> None:
        (root / path).write_bytes((root / path).read_bytes()[:keep])
    return cut


def _replace(path: str, text: str) -> Callable[[Path], None]:
    return lambda root: write(root / path, text)


CASES: dict[str, Cases] = {
    "coco": Cases([coco_instances, coco_roboflow], {"train": 2, "val": 1}, DETECTION_COUNTS,
                  ("train/b.jpg", "train/b.jpg"),
                  (_truncate("annotations/instances_val.json"), "annotations/instances_val.json", None), "detection"),
    "yolo": Cases([yolo_ultralytics, yolo_roboflow], {"train": 2, "val": 1}, DETECTION_COUNTS,
                  ("images/train/b.jpg", "labels/train/b.txt"),
                  (_replace("data.yaml", "names: [cat, dog\ntrain: images/train\n"), "data.yaml", None), "detection"),
    "pascal-voc": Cases([voc_tree, voc_roboflow], {"train": 2, "val": 1}, DETECTION_COUNTS,
                        ("JPEGImages/b.jpg", "JPEGImages/b.jpg"),
                        (_truncate("Annotations/c.xml"), "Annotations/c.xml", "annotation_unreadable"), "detection"),
    "masks": Cases([masks_folders, masks_roboflow], {"train": 2, "val": 1}, PAIRS_COUNTS,
                   ("images/train/b.jpg", "masks/train/b.png"),
                   (_replace("labelmap.txt", "# label:color_rgb:parts:actions\ncat:255,0:\n"), "labelmap.txt", None),
                   "segmentation",
                   background=("background",)),
    "class-folders": Cases([class_folders_split, class_folders_flat], {"train": 3, "val": 1},
                           {"cat": {"train": 2, "val": 1}, "dog": {"train": 1, "val": 0}, "bird": {"train": 0, "val": 0}},
                           "the images are the files listed in the class folders: none can be named and be missing",
                           (_replace("train/dog/b.jpg", "not a jpeg"), "train/dog/b.jpg", "unreadable_image"),
                           "classification", by_layout={1: ({"train": 3}, {"cat": {"train": 2}, "dog": {"train": 1},
                                                                          "bird": {"train": 0}})}),
    "multilabel-csv": Cases([csv_roboflow, csv_split_column], {"train": 2, "val": 1}, PAIRS_COUNTS,
                            ("train/b.jpg", "b.jpg"),
                            (_replace("train/_classes.csv", "filename, cat, dog, bird\na.jpg, 1, 0\nb.jpg, 1, 0, 0, 1\n"),
                             "train/_classes.csv:3", None), "multilabel"),
}


def _layouts():
    return [pytest.param(name, k, id=f"{name}-{builder.__name__}")
            for name, case in CASES.items() for k, builder in enumerate(case.layouts)]


def _built(tmp_path: Path, name: str, k: int = 0) -> Path:
    root = tmp_path / "dataset"
    CASES[name].layouts[k](root)
    return root


def test_every_reader_has_cases():
    names = [r.name for r in readers()]
    assert len(set(names)) == len(names)
    assert set(names) == set(CASES), "a reader without contract cases, or cases for no reader"
    for reader in readers():
        assert reader.task in reader.tasks and CASES[reader.name].task in reader.tasks


@pytest.mark.parametrize("name, k", _layouts())
def test_only_this_reader_claims_its_layout(name, k, tmp_path):
    root = _built(tmp_path, name, k)
    ours = next(r for r in readers() if r.name == name).detect(root)
    others = {r.name: r.detect(root) for r in readers() if r.name != name}
    assert detect(root).name == name
    assert all(d.confidence < ours.confidence for d in others.values()), (ours, others)


@pytest.mark.parametrize("name, k", _layouts())
def test_tables_are_the_hand_counts(name, k, tmp_path):
    case = CASES[name]
    images, expected = case.by_layout.get(k, (case.images, case.counts))
    ds = load_dataset(_built(tmp_path, name, k), ONE)
    assert ds.task == case.task and ds.format == name
    assert ds.images["split"].value_counts().to_dict() == images
    counts = label_counts(ds)
    assert {c: {s: int(counts.at[c, s]) for s in counts.columns} for c in counts.index} == expected
    assert label_counts_by_split(ds) == {s: sum(c[s] for c in expected.values()) for s in images}
    assert ds.background == case.background


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_declared_class_with_zero_labels_is_kept(name, tmp_path):
    ds = load_dataset(_built(tmp_path, name), ONE)
    assert "bird" in ds.classes and not (ds.labels["class"] == "bird").any()
    assert set(ds.represented) == set(CASES[name].counts)


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_image_files_are_reported_per_split(name, tmp_path):
    case = CASES[name]
    if isinstance(case.missing, str):
        assert name == "class-folders", "only a layout whose images are its listing may have no missing-image case"
        return
    root = _built(tmp_path, name)
    removed, example = case.missing
    (root / removed).unlink()
    ds = load_dataset(root, ONE)
    found = {f.code: f for f in ds.health}["image_missing"]
    assert found.count == 1 and found.values["by_split"] == {"train": 1} and found.examples == (example,)
    assert label_counts_by_split(ds) == {s: sum(c[s] for c in case.counts.values()) for s in case.images}


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if not isinstance(c.missing, str)))
def test_a_dataset_without_any_image_is_said_once(name, tmp_path):
    root = _built(tmp_path, name)
    for image in [p for p in root.rglob("*.jpg")]:
        image.unlink()
    ds = load_dataset(root, ONE)
    codes = [f.code for f in ds.health]
    assert codes.count("label_only") == 1 and "image_missing" not in codes
    assert not ds.has_image_files
    assert {f.code: f for f in ds.health}["label_only"].count == sum(CASES[name].images.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_broken_file_is_one_line_naming_it(name, tmp_path):
    root = _built(tmp_path, name)
    breaks, where, code = CASES[name].broken
    breaks(root)
    if code is not None:  # the rest is read: a finding names the file
        ds = load_dataset(root, ONE)
        found = {f.code: f for f in ds.health}[code]
        assert any(e.startswith(where) for e in found.examples), found.examples
        return
    with pytest.raises(DatasetError) as err:
        load_dataset(root, ONE)
    text = str(err.value)
    assert "\n" not in text
    assert str(root / where) in text
