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

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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
from insight.formats.shared.image_headers import is_image
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
    items: list[tuple[str, str, Path | None]] = field(default_factory=list)  # (split, stem, xml)
    image_dirs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- detection

def detect(root: Path) -> Detection:
    root = Path(root)
    trees = _tree_roots(root)
    if trees:
        where = ", ".join(relative(t / _ann_dir(t), root) for t in trees[:3])
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


def _tree_roots(root: Path) -> list[Path]:
    """The root, or the VOC<year> folders of a VOCdevkit (read together)."""
    if _ann_dir(root):
        return [root]
    return [sub for sub in _subdirs(root) if re.fullmatch(r"voc\d{4}", sub.name.lower()) and _ann_dir(sub)]


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
    names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.lower().endswith(".xml"))
    for name in names[:_LOOK_AT_XML]:
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


def _xmls(folder: Path) -> list[Path]:
    names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.lower().endswith(".xml"))
    return [folder / name for name in names]  # sorted by name: the order of the paths, without comparing Paths


# ---------------------------------------------------------------- layout

def _trees(root: Path) -> list[Tree]:
    tree_roots = _tree_roots(root)
    if tree_roots:
        single = tree_roots == [root]
        return [_voc_tree(t, "" if single else t.name + "/") for t in tree_roots]
    trees = []
    for folder in _xml_folders(root):
        split = "train" if folder == root else split_name(folder.name)
        tree = Tree(folder, "" if folder == root else folder.name + "/", image_dirs=[folder])
        tree.items = [(split, x.stem, x) for x in _xmls(folder)]
        trees.append(tree)
    return trees


def _voc_tree(folder: Path, prefix: str) -> Tree:
    ann = folder / _ann_dir(folder)
    xmls = {x.stem: x for x in _xmls(ann)}
    image_dirs = [folder / d for d in ("JPEGImages", "images", "Images") if (folder / d).is_dir()]
    tree = Tree(folder, prefix, image_dirs=image_dirs)
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
        tree.notes.append(f"{len(unlisted)} annotation file(s) in no ImageSets/Main list were left out "
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
    boxes: list = field(default_factory=list)  # (image row, name, xmin, ymin, xmax, ymax, difficult, truncated)
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
    if _tree_roots(root) and trees[0].root != root:
        notes.insert(0, "VOC trees read together: " + ", ".join(relative(t.root, root) for t in trees))
    with no_gc():  # a row tuple per box: the collector would walk them all again and again
        for tree in trees:
            images = _image_index(tree.image_dirs)
            parsed = read_xmls([xml for _, _, xml in tree.items if xml is not None], bounds, config, progress)
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
                                      [relative(t.root / (_ann_dir(t.root) or "."), root) + "/" for t in trees])
    screened, bounded = screen_images(rows.path, root, bounds, "image files of the annotations")
    findings += bounded
    if has_files:
        table, unreadable = fill_sizes(table, root, config.workers, progress, bounds, config.executor,
                                       remote_source(config))
        findings += unreadable
    classes, class_notes = _classes(root, trees, {b[1] for b in rows.boxes})
    notes += class_notes
    labels, undeclared = _labels(rows, table, classes)
    findings += _findings(rows, undeclared)
    return Dataset(root=str(root), task=TASK, format=NAME, classes=tuple(classes), images=table,
                   labels=labels, health=tuple(findings), notes=tuple(notes), has_image_files=has_files,
                   extras={NOT_OPENED: [rows.path[i] for i in screened.refused]})


@dataclass
class _ImageIndex:
    """The image folders' listings, read once: image files by stem, and every file name per folder."""

    by_stem: dict[str, Path] = field(default_factory=dict)
    names: dict[Path, set[str]] = field(default_factory=dict)

    def get(self, stem: str) -> Path | None:
        return self.by_stem.get(stem)

    def has_file(self, folder: Path, name: str) -> bool:
        """(folder / name).is_file(), from the listing when the name is a plain file name."""
        listed = self.names.get(folder)
        if listed is None or "/" in name or os.sep in name:
            return (folder / name).is_file()
        return name in listed


def _image_index(folders: list[Path]) -> _ImageIndex:
    index = _ImageIndex()
    for folder in folders:
        names = index.names.setdefault(folder, set())
        for entry in os.scandir(folder):
            if entry.is_file():
                names.add(entry.name)
                if is_image(entry.name):
                    index.by_stem.setdefault(os.path.splitext(entry.name)[0], Path(entry.path))
    return index


def _is_empty(path: Path) -> bool:
    head = head_bytes(path, 4096)
    return not head.strip() and path.is_file()


@dataclass(frozen=True)
class ParsedXml:
    """What the loader takes from one annotation file (made in a worker process, so plain values):
    `unreadable` (line, why) when it could not be read or parsed, else the size, the <filename>, the
    objects (name, xmin, ymin, xmax, ymax, difficult, truncated) and the objects left out (name, why)."""

    unreadable: tuple[int, str] | None = None
    size: tuple[float | None, float | None] = (None, None)
    filename: str | None = None
    objects: tuple[tuple, ...] = ()
    bad_objects: tuple[tuple[str, str], ...] = ()


XML_CHUNK = 256  # annotation files per task of the process pool (a VOC XML takes ~60 us to read and parse)


def read_xmls(xmls: list[Path], bounds: Bounds, config: Config, progress: Progress = no_progress):
    """ParsedXml of each file, in order (an iterator). The files are screened here, once (one listing of
    the annotation folder, insight/bounds.py): one that leads outside the dataset is not read. The others
    are read in a process pool across the cores, or on the configured executor (insight.pool), XML_CHUNK
    files a task; in this process when there are few. A file that is no regular file is refused where it
    is opened (safe_input.open_regular)."""
    outside = set(bounds.screen([str(x) for x in xmls]).outside)
    read = [str(x) for i, x in enumerate(xmls) if i not in outside]
    tasks = chunked(on_workers(read, config.executor), XML_CHUNK)
    results = pooled_map(_read_chunk, tasks, config.workers, sequential_below=4, chunksize=1,
                         executor=config.executor)
    parsed = (p for chunk in progress(results, total=len(tasks), desc=f"VOC annotations ({XML_CHUNK} a step)")
              for p in chunk)
    for i in range(len(xmls)):
        yield _OUTSIDE if i in outside else next(parsed)


_OUTSIDE = ParsedXml(unreadable=(1, "leads outside the dataset folder: not read (--follow-outside reads it)"))


def _read_chunk(paths: list[str]) -> list[ParsedXml]:
    """Runs in a worker: read and parse a chunk of annotation files (screened by the loader)."""
    with no_gc():
        return [read_xml(p) for p in paths]


def read_xml(xml: str | Path) -> ParsedXml:
    """One annotation file (screened: inside the dataset) read and parsed; never raises for a bad file."""
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
    objects, bad = [], []
    for obj in doc.iterfind("object"):
        fields = _children(obj)
        name = (fields.get("name") or "").strip()
        bndbox = obj.find("bndbox")
        corners = {} if bndbox is None else _children(bndbox)
        box = [_number(corners.get(k)) for k in _CORNERS]
        if not name or any(v is None for v in box):
            bad.append((name, "no name" if not name else "bndbox incomplete or not numbers"))
            continue
        objects.append((name, *box, _flag(fields.get("difficult")), _flag(fields.get("truncated"))))
    return ParsedXml(None, size, (doc.findtext("filename") or "").strip() or None, tuple(objects), tuple(bad))


def _children(element) -> dict[str, str]:
    """{tag: text} of an element's children in one pass, the first of a repeated tag winning (as
    findtext gives it); a child without text gives ''. A call per field took half the parse's time."""
    found: dict[str, str] = {}
    for child in element:
        if child.tag not in found:
            found[child.tag] = child.text or ""
    return found


def _read_item(root, tree, split, stem, xml, images, rows: _Rows, parsed: ParsedXml | None) -> None:
    """One listed item (an annotation file and/or an image) into the rows; `parsed`: its file read."""
    size, filename, objects = (None, None), None, ()
    if parsed is not None:
        if parsed.unreadable is not None:
            rows.unreadable.append((relative(xml, root), *parsed.unreadable))
            return
        size, filename, objects = parsed.size, parsed.filename, parsed.objects
        if any(v is not None and v <= 0 for v in size):
            rows.bad_sizes.append(relative(xml, root))
    image = _find_image(tree, stem, filename, images)
    if xml is None and image is None:
        rows.missing.append(f"{tree.prefix}{stem}")
        return
    row = len(rows.image_id)
    rows.image_id.append(f"{split}/{tree.prefix}{stem}")
    rows.split.append(split)
    if image is not None:
        rows.path.append(_relative_file(image, root))
    else:
        fallback = relative(tree.image_dirs[0] if tree.image_dirs else tree.root, root) + "/" + (filename or stem)
        rows.path.append(fallback.lstrip("./"))
    rows.found.append(image is not None)
    rows.width.append(size[0] if size[0] and size[0] > 0 else np.nan)
    rows.height.append(size[1] if size[1] and size[1] > 0 else np.nan)
    if parsed is not None and parsed.bad_objects:
        where = relative(xml, root)
        rows.bad_objects += [f"{where} (object {name or 'without a name'}: {why})" for name, why in parsed.bad_objects]
    rows.boxes += [(row, *obj) for obj in objects]


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


def _find_image(tree: Tree, stem: str, filename: str | None, images: _ImageIndex) -> Path | None:
    """The image an annotation names (`<filename>`, else its stem), or None: the one place a VOC image
    reference becomes a path."""
    if filename:
        for folder in tree.image_dirs:
            if images.has_file(folder, filename):
                return folder / filename
        found = images.get(os.path.splitext(filename)[0])
        if found is not None:
            return found
    return images.get(stem)


_CORNERS = ("xmin", "ymin", "xmax", "ymax")


def _relative_file(path: Path, root: Path) -> str:
    """relative(path, root), with the folder's part worked out once per folder."""
    return _relative_folder(path.parent, root) + path.name


@lru_cache(maxsize=64)
def _relative_folder(folder: Path, root: Path) -> str:
    rel = relative(folder, root)
    return "" if rel == "." else rel + "/"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _flag(text: str | None) -> int:
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
    boxes = rows.boxes
    columns = list(zip(*boxes)) if boxes else [()] * 8  # (image row, name, 4 corners, difficult, truncated)
    row = np.array(columns[0], dtype=np.int64)
    names = np.array(columns[1], dtype=object)
    coords = np.array(columns[2:6], dtype=float).reshape(4, len(boxes)).T
    flags = np.array(columns[6:8], dtype=np.int64).reshape(2, len(boxes)).T
    known = set(classes)
    declared = np.fromiter((n in known for n in columns[1]), dtype=bool, count=len(boxes))
    undeclared = [(images["path"].iat[r], n) for r, n in zip(row[~declared], names[~declared])]
    row, names, coords, flags = row[declared], names[declared], coords[declared], flags[declared]
    width, height = images["width"].to_numpy()[row], images["height"].to_numpy()[row]
    labels = box_labels(images["image_id"].to_numpy()[row], images["split"].to_numpy()[row], names,
                        coords[:, 0], coords[:, 1], coords[:, 2] - coords[:, 0], coords[:, 3] - coords[:, 1],
                        width, height, iscrowd=np.zeros(len(row), dtype=np.int64),
                        difficult=flags[:, 0], truncated=flags[:, 1])
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
