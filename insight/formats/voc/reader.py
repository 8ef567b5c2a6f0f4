"""Pascal VOC detection: one XML file per image with <size> and <object><name><bndbox> entries.

Layouts read:

    root/Annotations/*.xml              VOC (also root/VOC2007/..., root/VOC2012/... read together)
    root/ImageSets/Main/<split>.txt     train, val, test (trainval when there is no train or val)
    root/JPEGImages/*.jpg
    root/labelmap.txt | class_names.txt | classes.txt   optional label map
    root/annotations/*.xml + root/images/                Kaggle-style, one split (train)
    root/<split>/*.xml beside *.jpg                      Roboflow export
    root/*.xml beside *.jpg                              one split (train)

Image size from the XML; where it is 0 or missing, from the image header. Boxes: x = xmin,
w = xmax - xmin (pixel corners as written, no +1). `difficult` and `truncated` are kept as columns.
XML without a document type declaration (every VOC file seen) is parsed by the C ElementTree: with no
DOCTYPE there is nowhere to declare an entity, so nothing can expand. A file with a DOCTYPE or an
entity declaration, or in a 16- or 32-bit encoding (where a byte search cannot see the markup), goes to
defusedxml, which refuses entity declarations instead of expanding them.
"""

from __future__ import annotations

import heapq
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from xml.etree.ElementTree import ParseError, fromstring

import numpy as np

from insight.config import Config
from insight.bounds import NOT_OPENED, Bounds, screen_images
from insight.errors import DatasetError, InsightError
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, SURE, Detection
from insight.formats.shared.files import remote_source
from insight.formats.shared.tables import (PLACEHOLDER_NAMES, box_labels, fill_sizes, finding,
                                       images_table, relative)
from insight.formats.shared.files import missing_image_findings
from insight.formats.shared.gc_pause import no_gc
from insight.formats.shared.image_headers import IMAGE_SUFFIXES
from insight.formats.shared.splits import is_split_word, split_name
from insight.model.dataset import Dataset
from insight.model.findings import Severity
from insight.pool import chunked, on_workers, pooled_map
from insight.progress import Progress, no_progress
from insight.safe_input import head_bytes, read_bytes

XML_LIMIT = 64 << 20  # bytes read from one annotation file (a VOC XML is ~1 kB)

NAME = "pascal-voc"
TASK = "detection"

_LABEL_MAPS = ("labelmap.txt", "class_names.txt", "classes.txt", "labels.txt")
_SPLIT_FILES = ("train", "val", "test", "trainval")


@dataclass
class Tree:
    """One VOC tree: where its XMLs and images are and which split each annotation is in."""

    root: Path
    prefix: str  # image id prefix, '' for a single tree
    ann: str  # the annotation folder's name (Annotations, annotations); '' for XML files beside images
    items: list[tuple[str, str, str | None]] = field(default_factory=list)  # (split, stem, xml file's path)
    image_dirs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- detection

def detect(root: Path) -> Detection:
    root = Path(root)
    trees = _tree_roots(root)
    if trees:
        where = ", ".join(relative(t / ann, root) for t, ann in trees[:3])
        return Detection(SURE, f"VOC XML annotations in {where}")
    folders = _xml_folders(root)
    if folders:
        return Detection(LIKELY, f"VOC XML files beside images in {relative(folders[0], root)}")
    nested = [sub.name for sub in _subdirs(root) if _ann_dir(sub)]
    if nested:
        return Detection.no(f"sub-folders {', '.join(nested[:4])} are separate VOC datasets: point at one")
    return Detection.no("no Annotations/ folder of VOC *.xml, and no *.xml with <annotation> beside images")


def _ann_dir(folder: Path) -> str:
    for name in ("Annotations", "annotations"):
        if (folder / name).is_dir() and _voc_xml(folder / name):
            return name
    return ""


def _tree_roots(root: Path) -> list[tuple[Path, str]]:
    """(folder, its annotation folder's name) of the root, or of the VOC<year> folders of a VOCdevkit
    (read together)."""
    ann = _ann_dir(root)
    if ann:
        return [(root, ann)]
    return [(sub, ann) for sub in _subdirs(root) if re.fullmatch(r"voc\d{4}", sub.name.lower())
            and (ann := _ann_dir(sub))]


def _xml_folders(root: Path) -> list[Path]:
    """The root or its split folders when they hold VOC XML files next to images."""
    found = []
    for folder in [root] + [d for d in _subdirs(root) if is_split_word(d.name)]:
        if _voc_xml(folder):
            found.append(folder)
    return found


_LOOK_AT_XML = 20  # XML files whose head is read to tell a VOC folder; one empty or broken file among
# them does not hide the layout (the loader reports it as annotation_unreadable)


def _voc_xml(folder: Path) -> bool:
    names = heapq.nsmallest(_LOOK_AT_XML, (n for n in os.listdir(folder) if n.lower().endswith(".xml")))
    for name in names:  # the first by name: head_bytes reads nothing from a folder, FIFO or device
        try:
            if b"<annotation" in head_bytes(Path(folder) / name, 2048):  # never a FIFO or a device
                return True
        except OSError:
            continue
    return False


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def _xmls(folder: Path) -> dict[str, str]:
    """{stem: path} of the folder's XML files, sorted by name; paths as strings (a Path for each of
    20,000 files took longer than listing them)."""
    names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.lower().endswith(".xml"))
    base = os.path.join(folder, "")
    return {name[:-4]: base + name for name in names}


# ---------------------------------------------------------------- layout

def _trees(root: Path) -> list[Tree]:
    tree_roots = _tree_roots(root)
    if tree_roots:
        single = tree_roots[0][0] == root
        return [_voc_tree(t, ann, "" if single else t.name + "/") for t, ann in tree_roots]
    trees = []
    for folder in _xml_folders(root):
        split = "train" if folder == root else split_name(folder.name)
        tree = Tree(folder, "" if folder == root else folder.name + "/", "", image_dirs=[folder])
        tree.items = [(split, stem, xml) for stem, xml in _xmls(folder).items()]
        trees.append(tree)
    return trees


def _voc_tree(folder: Path, ann_name: str, prefix: str) -> Tree:
    ann = folder / ann_name
    xmls = _xmls(ann)
    image_dirs = [folder / d for d in ("JPEGImages", "images", "Images") if (folder / d).is_dir()]
    tree = Tree(folder, prefix, ann_name, image_dirs=image_dirs)
    lists = _split_lists(folder / "ImageSets" / "Main")
    if lists and not (folder / "ImageSets" / "Main" / "train.txt").is_file() and "train" in lists:
        tree.notes.append(f"{prefix}ImageSets/Main/trainval.txt read as the train split")
    if not lists:
        tree.items = [("train", stem, xml) for stem, xml in xmls.items()]
        if (folder / "ImageSets").is_dir():
            tree.notes.append(f"{prefix}ImageSets/Main has no train/val/test list: all read as train")
        return tree
    listed = set()
    for split, stems in lists.items():
        for stem in stems:
            tree.items.append((split, stem, xmls.get(stem)))
            listed.add(stem)
    unlisted = sorted(set(xmls) - listed)
    if unlisted:
        tree.notes.append(f"{len(unlisted):,} annotation file(s) in no ImageSets/Main list were left out "
                          f"(e.g. {prefix}{unlisted[0]}.xml)")
    return tree


def _split_lists(main: Path) -> dict[str, list[str]]:
    files = {n: main / f"{n}.txt" for n in _SPLIT_FILES if (main / f"{n}.txt").is_file()}
    if "train" in files or "val" in files:
        files.pop("trainval", None)
    lists = {}
    for name, path in files.items():
        stems = [ln.split()[0] for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()
                 if ln.strip() and not ln.lstrip().startswith("#")]
        lists[split_name("train" if name == "trainval" else name)] = list(dict.fromkeys(stems))
    return lists


# ---------------------------------------------------------------- loading

@dataclass
class _Rows:
    image_id: list = field(default_factory=list)
    split: list = field(default_factory=list)
    path: list = field(default_factory=list)
    width: list = field(default_factory=list)
    height: list = field(default_factory=list)
    boxes: "_Boxes" = field(default_factory=lambda: _Boxes())  # every box read, in the order of the rows
    box_rows: list = field(default_factory=list)  # image rows with boxes ...
    box_counts: list = field(default_factory=list)  # ... and how many each has
    unreadable: list = field(default_factory=list)  # "file:line (why)"
    bad_objects: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # listed stems with neither XML nor image
    found: list = field(default_factory=list)  # per image row: its image file is there
    bad_sizes: list = field(default_factory=list)  # XML files whose <size> is 0 or negative


def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    root = Path(root)
    trees = _trees(root)
    if not trees:
        raise DatasetError(detect(root).reason, root)
    rows = _Rows()
    bounds = Bounds.of(root, config.follow_outside)
    notes = [n for t in trees for n in t.notes]
    if trees[0].ann and trees[0].root != root:
        notes.insert(0, "VOC trees read together: " + ", ".join(relative(t.root, root) for t in trees))
    with no_gc():  # a row tuple per box: the collector would walk them all again and again
        for tree in trees:
            images = _image_index(root, tree.image_dirs)
            parsed = read_xmls([xml for _, _, xml in tree.items if xml is not None], bounds, config, progress,
                               rows.boxes)
            for split, stem, xml in tree.items:
                _read_item(root, tree, split, stem, xml, images, rows, next(parsed) if xml is not None else None)
    if not rows.image_id and rows.unreadable:
        path, line, why = rows.unreadable[0]
        raise DatasetError(why, root / path, line)
    if not rows.image_id:
        raise DatasetError("no image is listed or annotated", root)
    table = images_table(rows.image_id, rows.split, rows.path, rows.width, rows.height)
    has_files = any(rows.found)
    findings = missing_image_findings(rows.path, rows.split, np.array(rows.found),
                                      [relative(t.root / (t.ann or "."), root) + "/" for t in trees])
    screened, bounded = screen_images(rows.path, root, bounds, "image files of the annotations")
    findings += bounded
    if has_files:
        table, unreadable = fill_sizes(table, root, config.workers, progress, bounds, config.executor,
                                       remote_source(config))
        findings += unreadable
    classes, class_notes = _classes(root, trees, set(rows.boxes.names))
    notes += class_notes
    labels, undeclared = _labels(rows, table, classes)
    findings += _findings(rows, undeclared)
    return Dataset(root=str(root), task=TASK, format=NAME, classes=tuple(classes), images=table,
                   labels=labels, health=tuple(findings), notes=tuple(notes), has_image_files=has_files,
                   extras={NOT_OPENED: [rows.path[i] for i in screened.refused]})


@dataclass
class _ImageIndex:
    """The image folders' listings, read once: each image file's path relative to the dataset root by
    stem, and per folder its file names and its relative path with "/" (strings throughout: a Path per
    annotation cost more than its parse)."""

    root: Path
    by_stem: dict[str, str] = field(default_factory=dict)
    folders: list[tuple[Path, set[str], str]] = field(default_factory=list)

    def get(self, stem: str) -> str | None:
        return self.by_stem.get(stem)

    def named(self, name: str) -> str | None:
        """The relative path of the first image folder's file `name` (as <filename> gives it), or None;
        from the listings when the name is a plain file name."""
        plain = "/" not in name and os.sep not in name
        for folder, listed, prefix in self.folders:
            if plain:
                if name in listed:
                    return prefix + name
            elif (folder / name).is_file():
                return relative(folder / name, self.root)
        return None


def _image_index(root: Path, folders: list[Path]) -> _ImageIndex:
    index = _ImageIndex(root)
    for folder in folders:
        names: set[str] = set()
        prefix = _relative_folder(folder, root)
        index.folders.append((folder, names, prefix))
        for entry in os.scandir(folder):
            if entry.is_file():
                name = entry.name
                names.add(name)
                stem, suffix = os.path.splitext(name)
                if suffix.lower() in IMAGE_SUFFIXES:
                    index.by_stem.setdefault(stem, prefix + name)
    return index


def _is_empty(path: Path) -> bool:
    head = head_bytes(path, 4096)
    return not head.strip() and path.is_file()


class ParsedXml(NamedTuple):
    """What the loader takes from one annotation file (made in a worker process, so plain values; a
    tuple, which is made and sent faster than a dataclass): `unreadable` (line, why) when it could not
    be read or parsed, else the size, the <filename>, how many objects were read and the objects left
    out (name, why)."""

    unreadable: tuple[int, str] | None = None
    size: tuple[float | None, float | None] = (None, None)
    filename: str | None = None
    objects: int = 0  # how many; the objects themselves go to the lists the file was read into
    bad_objects: tuple[tuple[str, str], ...] = ()


BOX_FIELDS = ("xmin", "ymin", "xmax", "ymax", "difficult", "truncated")


@dataclass
class _Boxes:
    """The objects of many annotation files in columns: their names, and BOX_FIELDS as numbers (an
    array of a row per box for each chunk of files). A worker sends a chunk's as one array, and the
    loader joins the chunks': a tuple per box sent and taken apart again cost more than parsing the
    files."""

    names: list[str] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)

    def add(self, names: list[str], numbers: np.ndarray) -> None:
        self.names += names
        self.chunks.append(numbers)

    def numbers(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.empty((0, len(BOX_FIELDS)))


XML_CHUNK = 256  # annotation files per task of the process pool (a VOC XML takes ~60 us to read and parse)


def read_xmls(xmls: list[str], bounds: Bounds, config: Config, progress: Progress, boxes: _Boxes):
    """ParsedXml of each file, in order (an iterator); their objects are added to `boxes` in the same
    order as each chunk of files arrives. The files are screened here, once (one listing of
    the annotation folder, insight/bounds.py): one that leads outside the dataset is not read. The others
    are read in a process pool across the cores, or on the configured executor (insight.pool), XML_CHUNK
    files a task; in this process when there are few. A file that is no regular file is refused where it
    is opened (safe_input.read_bytes)."""
    outside = set(bounds.screen([str(x) for x in xmls]).outside)
    read = [str(x) for i, x in enumerate(xmls) if i not in outside]
    tasks = chunked(on_workers(read, config.executor), XML_CHUNK)
    results = pooled_map(_read_chunk, tasks, config.workers, sequential_below=4, chunksize=1,
                         executor=config.executor)
    parsed = _files_of(progress(results, total=len(tasks), desc=f"VOC annotations ({XML_CHUNK} a step)"), boxes)
    for i in range(len(xmls)):
        yield _OUTSIDE if i in outside else next(parsed)


def _files_of(chunks, boxes: _Boxes):
    """The ParsedXml of each chunk's files, its boxes added to `boxes` as the chunk arrives."""
    for files, names, numbers in chunks:
        boxes.add(names, numbers)
        yield from files


_OUTSIDE = ParsedXml(unreadable=(1, "leads outside the dataset folder: not read (--follow-outside reads it)"))


def _read_chunk(paths: list[str]) -> tuple[list[ParsedXml], list[str], np.ndarray]:
    """Runs in a worker: read and parse a chunk of annotation files (screened by the loader). Returns
    each file's ParsedXml, and its objects' names and BOX_FIELDS (an array, a row per object)."""
    names: list[str] = []
    numbers: list[float] = []
    with no_gc():
        files = [read_xml(p, names, numbers) for p in paths]
    return files, names, np.array(numbers, dtype=np.float64).reshape(-1, len(BOX_FIELDS))


def read_xml(xml: str | Path, names: list[str], numbers: list[float]) -> ParsedXml:
    """One annotation file (screened: inside the dataset) read and parsed; never raises for a bad file.
    Each object read adds its name to `names` and its BOX_FIELDS to `numbers` (flat)."""
    try:
        doc = _parse(read_bytes(xml, XML_LIMIT, DatasetError))
    except InsightError as exc:
        return ParsedXml(unreadable=(1, exc.reason))
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        return ParsedXml(unreadable=(line, "the file is empty" if _is_empty(Path(xml)) else f"XML does not parse: {exc}"))
    except _Refused:
        return ParsedXml(unreadable=(1, "DOCTYPE or entity declaration refused: entities are never expanded"))
    size_el = doc.find("size")
    size = (None, None) if size_el is None else (_number(size_el.findtext("width")),
                                                 _number(size_el.findtext("height")))
    count, bad = 0, []
    for obj in doc.findall("object"):  # findall, find and findtext of a plain tag run in C; iterfind does not
        name = (obj.findtext("name") or "").strip()
        box = _corners(obj.find("bndbox"))
        if not name or box is None:
            bad.append((name, "no name" if not name else "bndbox incomplete or not numbers"))
            continue
        names.append(name)
        numbers += (*box, _flag(obj.findtext("difficult")), _flag(obj.findtext("truncated")))
        count += 1
    return ParsedXml(None, size, (doc.findtext("filename") or "").strip() or None, count, tuple(bad))


def _corners(bndbox) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) of a <bndbox>, or None when it is missing or a corner is not a number.
    Each field is looked up with findtext on a plain tag name, which ElementTree answers in C (the first
    child of that name, as a VOC reader reads it); a tag path or a Python pass over the children cost
    twice as much."""
    if bndbox is None:
        return None
    try:
        return (float(bndbox.findtext("xmin")), float(bndbox.findtext("ymin")),
                float(bndbox.findtext("xmax")), float(bndbox.findtext("ymax")))
    except (TypeError, ValueError):  # a corner missing (None) or not a number
        return None


def _read_item(root, tree, split, stem, xml, images, rows: _Rows, parsed: ParsedXml | None) -> None:
    """One listed item (an annotation file and/or an image) into the rows; `parsed`: its file read."""
    size, filename, objects = (None, None), None, 0
    if parsed is not None:
        if parsed.unreadable is not None:
            rows.unreadable.append((relative(xml, root), *parsed.unreadable))
            return
        size, filename, objects = parsed.size, parsed.filename, parsed.objects
        width, height = size
        if (width is not None and width <= 0) or (height is not None and height <= 0):
            rows.bad_sizes.append(relative(xml, root))
    image = _find_image(stem, filename, images)
    if xml is None and image is None:
        rows.missing.append(f"{tree.prefix}{stem}")
        return
    row = len(rows.image_id)
    rows.image_id.append(f"{split}/{tree.prefix}{stem}")
    rows.split.append(split)
    if image is not None:
        rows.path.append(image)
    else:
        fallback = relative(tree.image_dirs[0] if tree.image_dirs else tree.root, root) + "/" + (filename or stem)
        rows.path.append(fallback.lstrip("./"))
    rows.found.append(image is not None)
    rows.width.append(size[0] if size[0] and size[0] > 0 else np.nan)
    rows.height.append(size[1] if size[1] and size[1] > 0 else np.nan)
    if parsed is not None and parsed.bad_objects:
        where = relative(xml, root)
        rows.bad_objects += [f"{where} (object {name or 'without a name'}: {why})" for name, why in parsed.bad_objects]
    if objects:
        rows.box_rows.append(row)
        rows.box_counts.append(objects)


class _Refused(Exception):
    """defusedxml refused a DOCTYPE or an entity declaration."""


_DECLARATIONS = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _parse(data: bytes):
    """The root element of an annotation file's bytes (see the module's notes on which parser reads it)."""
    if b"\x00" in data or (b"<!" in data and _DECLARATIONS.search(data)):  # "<!": a fast scan first
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import fromstring as defused_fromstring

        try:
            return defused_fromstring(data)
        except DefusedXmlException:
            raise _Refused from None
    return fromstring(data)


def _find_image(stem: str, filename: str | None, images: _ImageIndex) -> str | None:
    """The image an annotation names (`<filename>`, else its stem) as a path relative to the dataset
    root, or None: the one place a VOC image reference becomes a path."""
    if filename:
        found = images.named(filename)  # the index holds this tree's image folders, in order
        if found is not None:
            return found
        found = images.get(os.path.splitext(filename)[0])
        if found is not None:
            return found
    return images.get(stem)


def _relative_folder(folder: Path, root: Path) -> str:
    rel = relative(folder, root)
    return "" if rel == "." else rel + "/"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _flag(text: str | None) -> int:
    """A <difficult> or <truncated> value: 0 or 1 as written, an integer part of a number, else 0."""
    try:
        return int(text)  # the usual "0" and "1", without going through float
    except (TypeError, ValueError):
        value = _number(text)
        return int(value) if value is not None else 0


def _classes(root: Path, trees: list[Tree], used: set[str]) -> tuple[list[str], list[str]]:
    """The label map when there is one; else the names the annotations use, sorted."""
    for folder in [root] + [t.root for t in trees]:
        for name in _LABEL_MAPS:
            path = folder / name
            if path.is_file():
                lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
                classes = list(dict.fromkeys(ln.split(":")[0].strip() for ln in lines
                                             if ln and not ln.startswith("#")))
                dropped = [c for c in classes if c.lower() in PLACEHOLDER_NAMES and c not in used]
                notes = [f"classes from {relative(path, root)}"]
                if dropped:
                    notes.append(f"{', '.join(dropped)} in {path.name} names a background or ignore entry "
                                 f"that no box uses: not counted as a class")
                return [c for c in classes if c not in dropped], notes
    return sorted(used), ["no label map (labelmap.txt, class_names.txt): classes are the names the "
                          "annotations use, so a class with no box cannot show up"]


def _labels(rows: _Rows, images, classes: list[str]):
    names = np.array(rows.boxes.names, dtype=object)
    numbers = rows.boxes.numbers()  # BOX_FIELDS, a row per box
    row = np.repeat(np.array(rows.box_rows, dtype=np.int64), np.array(rows.box_counts, dtype=np.int64))
    known = set(classes)
    declared = np.fromiter((n in known for n in rows.boxes.names), dtype=bool, count=len(names))
    undeclared = [(images["path"].iat[r], n) for r, n in zip(row[~declared], names[~declared])]
    row, names, numbers = row[declared], names[declared], numbers[declared]
    width, height = images["width"].to_numpy()[row], images["height"].to_numpy()[row]
    xmin, ymin, xmax, ymax, difficult, truncated = numbers.T
    labels = box_labels(images["image_id"].to_numpy()[row], images["split"].to_numpy()[row], names,
                        xmin, ymin, xmax - xmin, ymax - ymin, width, height,
                        iscrowd=np.zeros(len(row), dtype=np.int64),
                        difficult=difficult.astype(np.int64), truncated=truncated.astype(np.int64))
    return labels, undeclared


def _findings(rows: _Rows, undeclared: list) -> list:
    found = []
    if rows.unreadable:
        found.append(finding("annotation_unreadable", Severity.ERROR,
                             (f"{path}:{line} ({why})" for path, line, why in rows.unreadable)))
    if rows.bad_sizes:
        found.append(finding("image_size_invalid", Severity.WARNING, rows.bad_sizes))
    if rows.bad_objects:
        found.append(finding("bad_annotation", Severity.WARNING, rows.bad_objects))
    if undeclared:
        found.append(finding("undeclared_class", Severity.WARNING, (f"{p}: {n}" for p, n in undeclared),
                             count=len(undeclared), names=sorted({n for _, n in undeclared})[:10]))
    if rows.missing:
        found.append(finding("listed_image_missing", Severity.WARNING, rows.missing))
    return found


READER = FormatReader(NAME, TASK, ("detection",), detect, load)
