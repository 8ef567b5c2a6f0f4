"""A corpus of bad inputs, written by code (no hand-edited binaries). Each case knows how to build
itself under a folder and which command runs it; test_corpus.py says what each must produce.

Run `python -m tests.robustness.corpus DEST` to write the corpus somewhere and look at it.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PIL import Image

Builder = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # "scan" (a dataset) or "curves" (a training log)
    build: Builder


def _png(path: Path, size=(8, 6), mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size).save(path)
    return path


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def _coco(images=None, annotations=None, categories=None, **extra) -> dict:
    doc = {"images": images if images is not None else [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
           "annotations": annotations if annotations is not None else
           [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 10], "area": 200, "iscrowd": 0}],
           "categories": categories if categories is not None else [{"id": 1, "name": "cat"}]}
    doc.update(extra)
    return doc


def _coco_dir(root: Path, text: bytes | str) -> Path:
    _write(root / "annotations" / "instances_train.json", text)
    return root


def _yolo_dir(root: Path, label_text: str, names=("cat", "dog")) -> Path:
    _write(root / "data.yaml", "names: [" + ", ".join(names) + "]\ntrain: images/train\n")
    _png(root / "images" / "train" / "a.png", (100, 50))
    _write(root / "labels" / "train" / "a.txt", label_text)
    return root


def _voc_dir(root: Path, xml: str) -> Path:
    _write(root / "Annotations" / "a.xml", xml)
    _write(root / "ImageSets" / "Main" / "train.txt", "a\n")
    _png(root / "JPEGImages" / "a.jpg", (100, 50))
    return root


VOC_OBJECT = ("<annotation><filename>a.jpg</filename><size><width>100</width><height>50</height>"
              "<depth>3</depth></size><object><name>{name}</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
              "<xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>")


def _mask_one_pixel_wide(root: Path) -> Path:
    """A 1 x 40 image and its class-index mask: the top 10 pixels are class 1, the other 30 class 0."""
    _png(root / "images" / "train" / "a.png", (1, 40))
    mask = Image.new("L", (1, 40), 0)
    mask.paste(1, (0, 0, 1, 10))
    path = root / "masks" / "train" / "a.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    mask.save(path)
    return root


def _empty_png(root: Path) -> Path:
    _png(root / "a" / "ok.png")
    _write(root / "a" / "zero.png", b"")
    return root


def _empty_class_folder(root: Path) -> Path:
    (root / "cat").mkdir(parents=True)
    _png(root / "dog" / "1.png")
    return root


def _truncated_png(root: Path) -> Path:
    _png(root / "a" / "ok.png")
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(buf, "PNG")
    _write(root / "a" / "cut.png", buf.getvalue()[: len(buf.getvalue()) // 2])
    return root


def _bomb_png(root: Path) -> Path:
    """A PNG header claiming 20000 x 20000 pixels with a tiny compressed body."""
    _png(root / "a" / "ok.png")
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 1, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * (1 + 20000 // 8) * 16)
    _write(root / "a" / "bomb.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body)
           + chunk(b"IEND", b""))
    return root


def _symlink_loop(root: Path) -> Path:
    _png(root / "a" / "1.png")
    root.joinpath("loop").symlink_to(root, target_is_directory=True)
    return root


def _odd_names(root: Path) -> Path:
    """Two equal pictures (so the duplicate finding names both files): one with a 204-byte name, one
    whose name is Latin-1, not UTF-8."""
    _png(root / "a" / (LONG_NAME + ".png"))
    raw = bytes(root / "a") + b"/caf\xe9-latin1.png"  # not UTF-8
    _png(Path(raw.decode(sys.getfilesystemencoding(), "surrogateescape")))
    return root


LONG_NAME = "x" * 200


def _tensorboard_cut(root: Path) -> Path:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(root))
    for step in range(50):
        for tag in ("train/loss", "val/loss"):
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=1.0 / (step + 1))])
            writer.add_event(Event(step=step, wall_time=1.0 + step, summary=summary))
    writer.close()
    event_file = next(root.glob("events.out.tfevents.*"))
    data = event_file.read_bytes()
    event_file.write_bytes(data[: len(data) // 2])
    return event_file


MALICIOUS_NAMES = ["<b>bold</b>", "<script>alert(1)</script>", "{{ 7*7 }}", "{% raw %}", "../../etc/passwd",
                   '<img src="file:///etc/hostname">', '<img src="http://example.com/x.png">',
                   "--><script>alert(2)</script><!--", "$\\frac{1}{0}$", "url(http://example.com/c.css)"]

EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                   + VOC_OBJECT.format(name="&x;"))


CASES: tuple[Case, ...] = (
    # --- JSON (COCO) ---
    Case("coco_truncated_json", "scan", lambda r: _coco_dir(r, json.dumps(_coco(), indent=1)[:-40])),
    Case("coco_non_utf8", "scan", lambda r: _coco_dir(r, json.dumps(_coco()).replace("cat", "caf\udce9")
                                                      .encode("utf-8", "surrogateescape"))),
    Case("coco_no_instances", "scan", lambda r: _coco_dir(r, json.dumps({"annotations": [], "categories": []}))),
    Case("coco_missing_images_key", "scan", lambda r: _coco_dir(r, json.dumps(
        {k: v for k, v in _coco().items() if k != "images"}))),
    Case("coco_missing_image_id", "scan", lambda r: _coco_dir(r, json.dumps(_coco(
        annotations=[{"id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}])))),
    Case("coco_string_ids", "scan", lambda r: _coco_dir(r, json.dumps(_coco(
        images=[{"id": "one", "file_name": "a.jpg", "width": 100, "height": 50}],
        annotations=[{"id": "x", "image_id": "one", "category_id": 1, "bbox": [1, 1, 5, 5]}])))),
    Case("coco_negative_sizes", "scan", lambda r: _coco_dir(r, json.dumps(_coco(
        images=[{"id": 1, "file_name": "a.jpg", "width": -100, "height": 50}],
        annotations=[{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, -20, 10]}])))),
    Case("coco_empty_file", "scan", lambda r: _coco_dir(r, b"")),
    # --- YOLO ---
    Case("yolo_four_values", "scan", lambda r: _yolo_dir(r, "0 0.5 0.5 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_seven_values", "scan", lambda r: _yolo_dir(r, "0 0.1 0.1 0.2 0.1 inf 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_letters", "scan", lambda r: _yolo_dir(r, "cat 0.5 0.5 0.2 0.2\n1 0.5 abc 0.2 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_nan", "scan", lambda r: _yolo_dir(r, "0 nan 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_class_minus_one", "scan", lambda r: _yolo_dir(r, "-1 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_class_past_last", "scan", lambda r: _yolo_dir(r, "7 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n")),
    Case("yolo_empty_label_file", "scan", lambda r: _yolo_dir(r, "")),
    Case("yolo_polygon_nan_class", "scan", lambda r: _yolo_dir(r, "nan 0 0 0 0 0 0\n")),
    # --- VOC ---
    Case("voc_entity_expansion", "scan", lambda r: _voc_dir(r, '<?xml version="1.0"?><!DOCTYPE a ['
                                                            '<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
                                                            + VOC_OBJECT.format(name="&y;"))),
    Case("voc_external_entity", "scan", lambda r: _voc_dir(r, EXTERNAL_ENTITY)),
    Case("voc_truncated_xml", "scan", lambda r: _voc_dir(r, VOC_OBJECT.format(name="cat")[:-30])),
    Case("voc_empty_xml", "scan", lambda r: (_voc_dir(r, ""), _write(r / "Annotations" / "b.xml",
                                             VOC_OBJECT.format(name="cat").replace("a.jpg", "b.jpg")),
                                             _png(r / "JPEGImages" / "b.jpg", (100, 50)),
                                             _write(r / "ImageSets" / "Main" / "train.txt", "a\nb\n"), r)[-1]),
    # --- folders and images ---
    Case("empty_folder", "scan", lambda r: (r.mkdir(parents=True, exist_ok=True), r)[1]),
    Case("symlink_loop", "scan", _symlink_loop),
    Case("empty_class_folder", "scan", _empty_class_folder),
    Case("truncated_png", "scan", _truncated_png),
    Case("empty_png", "scan", _empty_png),
    Case("decompression_bomb", "scan", _bomb_png),
    Case("odd_file_names", "scan", _odd_names),
    Case("mask_one_pixel_wide", "scan", _mask_one_pixel_wide),
    Case("malicious_class_names", "scan", lambda r: _coco_dir(r, json.dumps(_coco(
        categories=[{"id": i + 1, "name": n} for i, n in enumerate(MALICIOUS_NAMES)],
        annotations=[{"id": i + 1, "image_id": 1, "category_id": i + 1, "bbox": [1, 1, 5, 5]}
                     for i in range(len(MALICIOUS_NAMES))])))),
    # --- training logs ---
    Case("csv_with_bom", "curves", lambda r: _write(r / "log.csv", "\ufeffepoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n"
                                                    "2,0.6,0.8\n3,0.5,0.75\n4,0.45,0.7\n5,0.4,0.68\n")),
    Case("csv_duplicate_columns", "curves", lambda r: _write(r / "log.csv", "epoch,loss,loss,val_loss\n0,1,1,1\n1,0.9,0.9,1\n")),
    Case("csv_blank_lines", "curves", lambda r: _write(r / "log.csv", "epoch,loss,val_loss\n\n0,1.0,1.1\n\n1,0.8,0.9\n\n")),
    Case("csv_one_row", "curves", lambda r: _write(r / "log.csv", "epoch,loss,val_loss\n0,1.0,1.1\n")),
    Case("csv_empty_file", "curves", lambda r: _write(r / "results.csv", "")),
    Case("jsonl_bad_line", "curves", lambda r: _write(r / "metrics.jsonl", '{"epoch": 0, "loss": 1}\n{"epoch": 1, "loss\n')),
    Case("tensorboard_cut_in_half", "curves", _tensorboard_cut),
    Case("log_empty_folder", "curves", lambda r: (r.mkdir(parents=True, exist_ok=True), r)[1]),
)


def build_all(dest: Path) -> dict[str, Path]:
    return {c.name: c.build(dest / c.name) for c in CASES}


if __name__ == "__main__":
    for name, path in build_all(Path(sys.argv[1])).items():
        print(name, path)
