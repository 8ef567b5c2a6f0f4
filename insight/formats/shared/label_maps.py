"""Label maps for masks: which mask value (or colour) is which class, read from the files datasets ship.

    classes.txt / class_names.txt / obj.names   one name per line; line i is value i
    labelmap.txt                                 `# label:color_rgb:parts:actions` then `name:r,g,b::`
                                                 (CVAT, Datumaro and VOC exports); line i is value i
    label_colors.txt                             `r g b name` (CamVid, Datumaro); line i is value i
    class_dict.csv / labelmap.csv                `name,r,g,b` with a header; row i is value i
    _classes.csv                                 Roboflow masks: `Pixel Value, Class` (value, name)
    dataset_meta.json                            Datumaro: {"label_map": {"0": name}, "segmentation_colors": [[r,g,b]]}
    data.yaml / config.yaml                      `names:` (list or {id: name}) or `classes: {id: name}`
    config_v2.0.json                             Mapillary Vistas: {"labels": [{"name", "color"}]}; entry i is value i

Built-in maps name the classes when a dataset ships none: the Pascal VOC colour map (palette PNGs),
CamVid's 32 colours and the Cityscapes label ids and train ids.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from insight.errors import DatasetError, InsightError
from insight.safe_input import MiB, head_bytes, load_json, load_yaml, read_bytes, read_text

MAP_LIMIT = 64 * MiB  # bytes read from a label-map file (a few kB; ADE20K's per-image JSON up to a few MB)

# Files that hold a label map, in the order they are preferred when a folder has several.
LABEL_MAP_FILES = ("dataset_meta.json", "labelmap.txt", "label_colors.txt", "class_dict.csv", "labelmap.csv",
                   "_classes.csv", "classes.txt", "class_names.txt", "obj.names", "data.yaml", "data.yml", "config.yaml",
                   "config_v2.0.json", "config_v1.2.json")
_INT = re.compile(r"^-?\d+$")


def pack(r: int, g: int, b: int) -> int:
    """An RGB colour as one integer 0xRRGGBB (how the mask scan keys colours)."""
    return (int(r) << 16) | (int(g) << 8) | int(b)


def color_text(key: int) -> str:
    return "({}, {}, {})".format(key >> 16 & 255, key >> 8 & 255, key & 255)


@dataclass(frozen=True)
class LabelMap:
    """`names`: the declared classes in order. `by_value`: class-index value -> class. `by_color`:
    packed colour -> class (colour masks). `void_values`/`void_colors`: values that are void, not a class."""

    names: tuple[str, ...]
    by_value: dict[int, str] = field(default_factory=dict)
    by_color: dict[int, str] = field(default_factory=dict)
    void_values: frozenset[int] = frozenset()
    void_colors: frozenset[int] = frozenset()
    source: str = ""

    @property
    def has_colors(self) -> bool:
        return bool(self.by_color)


# Names a label map gives to pixels that carry no class (COCO-stuff and Cityscapes "unlabeled", CamVid
# "Void", "ignore" entries): void like the ignore index, never a class to balance. Compared in lower case.
VOID_NAMES = frozenset({"unlabeled", "unlabelled", "void", "ignore", "ignored", "__ignore__", "_ignore_",
                        "dontcare", "don't care", "not labeled", "no label"})


# Names a label map gives its background (index 0): kept in the mask statistics, never a class to represent.
BACKGROUND_NAMES = frozenset({"background", "_background_", "__background__"})


def background_of(label_map: LabelMap) -> tuple[str, ...]:
    """The map's background class: value 0 (or, for a map by colour only, its first entry) when named
    in BACKGROUND_NAMES; else none."""
    name = label_map.by_value.get(0) if label_map.by_value else (label_map.names[0] if label_map.names else None)
    return (name,) if name is not None and name.lower() in BACKGROUND_NAMES else ()


def from_entries(entries: list[tuple[int, str, tuple[int, int, int] | None]], source: str,
                 void_names: tuple[str, ...] = ()) -> LabelMap:
    """[(value, name, colour or None)] -> LabelMap; a name given twice is one class; `void_names` and
    VOID_NAMES are void."""
    names: list[str] = []
    by_value: dict[int, str] = {}
    by_color: dict[int, str] = {}
    void_values, void_colors = set(), set()
    void = VOID_NAMES | {n.lower() for n in void_names}
    for value, name, color in entries:
        name = str(name).strip()
        if name.lower() in void:
            void_values.add(value)
            if color is not None:
                void_colors.add(pack(*color))
            continue
        if name not in names:
            names.append(name)
        by_value.setdefault(value, name)
        if color is not None:
            by_color.setdefault(pack(*color), name)
    return LabelMap(tuple(names), by_value, by_color, frozenset(void_values), frozenset(void_colors), source)


# ----------------------------------------------------------------------------------------------- parsers

def parse_names(text: str, source: str) -> LabelMap:
    """One class name per line (classes.txt, class_names.txt, obj.names); blank lines skipped."""
    names = [line.strip() for line in text.splitlines() if line.strip()]
    return from_entries([(i, n, None) for i, n in enumerate(names)], source)


def parse_labelmap_txt(text: str, source: str) -> LabelMap:
    """CVAT/Datumaro/VOC `labelmap.txt`: `name:r,g,b:parts:actions`; comment lines start with '#'."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        rgb = rest.split(":")[0].strip()
        color = None
        if rgb:
            parts = [p.strip() for p in rgb.split(",")]
            if len(parts) != 3 or not all(_INT.match(p) for p in parts):
                raise DatasetError(f"expected `name:r,g,b::`, got {line!r}", source, lineno)
            color = tuple(int(p) for p in parts)
        entries.append((len(entries), name, color))
    return from_entries(entries, source)


def parse_label_colors(text: str, source: str, void_names: tuple[str, ...] = ()) -> LabelMap:
    """`r g b name` per line (CamVid `label_colors.txt`; the name may hold spaces)."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 4 or not all(_INT.match(p) for p in parts[:3]):
            raise DatasetError(f"expected `r g b name`, got {line.strip()!r}", source, lineno)
        entries.append((len(entries), " ".join(parts[3:]), tuple(int(p) for p in parts[:3])))
    return from_entries(entries, source, void_names)


def parse_color_csv(text: str, source: str) -> LabelMap:
    """`name,r,g,b` with a header row (CamVid `class_dict.csv`, Kaggle `labelmap.csv`), or Roboflow's
    `Pixel Value, Class` (the mask value and its class)."""
    rows = list(csv.DictReader(io.StringIO(text), skipinitialspace=True))
    entries = []
    for i, row in enumerate(rows):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        name = row.get("name") or row.get("class") or row.get("label")
        if not name:
            raise DatasetError("a row has no class name", source, i + 2)
        entries.append(_value_row(row, name, i, source) if "pixel value" in row else (i, name, _rgb(row, source, i)))
    return from_entries(entries, source)


def _value_row(row: dict, name: str, i: int, source: str) -> tuple[int, str, None]:
    value = row["pixel value"]
    if not _INT.match(value):
        raise DatasetError(f"expected a whole-number pixel value, got {value!r}", source, i + 2)
    return int(value), name, None


def _rgb(row: dict, source: str, i: int) -> tuple[int, int, int]:
    try:
        return tuple(int(row[c]) for c in ("r", "g", "b"))
    except (KeyError, ValueError):
        raise DatasetError("expected columns name,r,g,b with whole-number colours, or Pixel Value,Class",
                           source, i + 2) from None


def is_label_map_csv(header: list[str]) -> bool:
    """A CSV header that names a label map: `Pixel Value, Class` or `name, r, g, b`."""
    columns = {h.strip().lower() for h in header}
    named = bool(columns & {"name", "class", "label"})
    return named and ("pixel value" in columns or {"r", "g", "b"} <= columns)


def parse_dataset_meta(obj: dict, source: str) -> LabelMap:
    """Datumaro `dataset_meta.json`: `label_map` {"index": name}, optional `segmentation_colors`."""
    label_map = obj.get("label_map") if isinstance(obj, dict) else None
    if not isinstance(label_map, dict) or not label_map:
        raise DatasetError("expected a `label_map` object {\"0\": \"name\", ...}", source)
    colors = obj.get("segmentation_colors") or []
    entries = []
    for key, name in label_map.items():
        if not _INT.match(str(key)):
            raise DatasetError(f"label_map key {key!r} is not a whole number", source)
        value = int(key)
        color = tuple(colors[value]) if value < len(colors) and len(colors[value]) == 3 else None
        entries.append((value, str(name), color))
    return from_entries(sorted(entries, key=lambda e: e[0]), source)


def parse_yaml_names(obj: dict, source: str) -> LabelMap:
    """data.yaml `names` (list or {id: name}) or LightlyTrain's `classes` ({id: name})."""
    names = obj.get("names", obj.get("classes")) if isinstance(obj, dict) else None
    if isinstance(names, list):
        return from_entries([(i, str(n), None) for i, n in enumerate(names)], source)
    if isinstance(names, dict):
        try:
            entries = sorted((int(k), str(v), None) for k, v in names.items())
        except (TypeError, ValueError):
            raise DatasetError("class ids in `names` must be whole numbers", source) from None
        return from_entries(entries, source)
    raise DatasetError("expected `names:` (a list, or {id: name}) or `classes:` {id: name}", source)


def parse_mapillary(obj: dict, source: str) -> LabelMap:
    labels = obj.get("labels") if isinstance(obj, dict) else None
    if not isinstance(labels, list) or not labels:
        raise DatasetError("expected `labels`: [{\"name\", \"color\"}, ...]", source)
    entries = []
    for i, item in enumerate(labels):
        color = item.get("color")
        entries.append((i, str(item.get("name") or item.get("readable") or i),
                        tuple(color) if isinstance(color, list) and len(color) == 3 else None))
    return from_entries(entries, source)


def read_label_map(path: Path) -> LabelMap:
    """Any label-map file above, chosen by its name, suffix or content."""
    path = Path(path)
    text = read_text(path, MAP_LIMIT, DatasetError)  # a regular file, capped; UTF-8 or a one-line error
    name, suffix = path.name.lower(), path.suffix.lower()
    if suffix == ".json":
        obj = load_json(text, path, DatasetError)
        return parse_mapillary(obj, str(path)) if isinstance(obj, dict) and "labels" in obj \
            else parse_dataset_meta(obj, str(path))
    if suffix in (".yaml", ".yml"):
        return parse_yaml_names(load_yaml(text, path, DatasetError), str(path))
    if suffix == ".csv":
        return parse_color_csv(text, str(path))
    return _parse_text(text, str(path), name)


def _parse_text(text: str, source: str, name: str) -> LabelMap:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if name == "labelmap.txt" or (lines and all(re.match(r"^[^:]+:[\d,\s]*:", ln) for ln in lines)):
        return parse_labelmap_txt(text, source)
    if lines and all(re.match(r"^\d+\s+\d+\s+\d+\s+\S", ln) for ln in lines):
        return parse_label_colors(text, source)
    return parse_names(text, source)


def find_label_map(folders: list[Path]) -> Path | None:
    """The first label-map file in `folders` (searched in order), preferring LABEL_MAP_FILES order."""
    for folder in folders:
        for name in LABEL_MAP_FILES:
            candidate = folder / name
            if candidate.is_file() and _holds_label_map(candidate):
                return candidate
    return None


def _holds_label_map(path: Path) -> bool:
    """A yaml config counts only when it names classes (a YOLO data.yaml always does); Roboflow's
    `_classes.csv` only when it maps pixel values (its multi-label `_classes.csv` is one-hot labels)."""
    if path.name.lower() == "_classes.csv":
        head = head_bytes(path, 1 << 16).decode("utf-8-sig", errors="replace")
        return is_label_map_csv(next(csv.reader(head.splitlines()[:1]), []))
    if path.suffix.lower() not in (".yaml", ".yml"):
        return True
    try:
        obj = load_yaml(read_text(path, MAP_LIMIT, DatasetError), path, DatasetError)
    except InsightError:  # an unreadable yaml is reported when it is read for real
        return True
    return isinstance(obj, dict) and ("names" in obj or "classes" in obj)


def ade20k_json_names(paths: list[Path]) -> LabelMap | None:
    """ADE20K (2020+) per-image JSON: each object's `name_ndx` (its class value in x_seg.png) and
    `name` (WordNet synonyms; the first one names the class). None when no file names a class."""
    entries: dict[int, str] = {}
    for path in paths:
        try:
            objects = load_json(read_bytes(path, MAP_LIMIT, DatasetError), path, DatasetError)["annotation"]["object"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"expected ADE20K annotation JSON with annotation.object ({exc})", path) from None
        for obj in objects:
            if isinstance(obj, dict) and "name_ndx" in obj and obj.get("name"):
                entries.setdefault(int(obj["name_ndx"]), str(obj["name"]).split(",")[0].strip())
    if not entries:
        return None
    return from_entries([(k, n, None) for k, n in sorted(entries.items())], "the ADE20K per-image JSON files")


# ----------------------------------------------------------------------------------------- built-in maps

VOC_NAMES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
             "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
             "train", "tvmonitor")


def voc_colormap(n: int = 256) -> list[tuple[int, int, int]]:
    """The Pascal VOC palette: the bits of the index spread over R, G and B from the high bit down."""
    colors = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        colors.append((r, g, b))
    return colors


def voc_label_map() -> LabelMap:
    """VOC's 21 classes by index and by colour; index 255 and its colour (224, 224, 192) are void."""
    colors = voc_colormap(256)
    voc = from_entries([(i, n, colors[i]) for i, n in enumerate(VOC_NAMES)], "the Pascal VOC colour map")
    return replace(voc, void_values=frozenset({255}), void_colors=frozenset({pack(*colors[255])}))


def palette_is_voc(palette: list[int] | None, values) -> bool:
    """True when the palette colours of every used value < 21 are VOC's (VOC colours name the classes)."""
    if not palette:
        return False
    colors = voc_colormap(len(VOC_NAMES))
    used = [int(v) for v in values if int(v) < len(VOC_NAMES)]
    return bool(used) and all(tuple(palette[3 * v:3 * v + 3]) == colors[v] for v in used)


CAMVID_COLORS = (
    ((64, 128, 64), "Animal"), ((192, 0, 128), "Archway"), ((0, 128, 192), "Bicyclist"),
    ((0, 128, 64), "Bridge"), ((128, 0, 0), "Building"), ((64, 0, 128), "Car"),
    ((64, 0, 192), "CartLuggagePram"), ((192, 128, 64), "Child"), ((192, 192, 128), "Column_Pole"),
    ((64, 64, 128), "Fence"), ((128, 0, 192), "LaneMkgsDriv"), ((192, 0, 64), "LaneMkgsNonDriv"),
    ((128, 128, 64), "Misc_Text"), ((192, 0, 192), "MotorcycleScooter"), ((128, 64, 64), "OtherMoving"),
    ((64, 192, 128), "ParkingBlock"), ((64, 64, 0), "Pedestrian"), ((128, 64, 128), "Road"),
    ((128, 128, 192), "RoadShoulder"), ((0, 0, 192), "Sidewalk"), ((192, 128, 128), "SignSymbol"),
    ((128, 128, 128), "Sky"), ((64, 128, 192), "SUVPickupTruck"), ((0, 0, 64), "TrafficCone"),
    ((0, 64, 64), "TrafficLight"), ((192, 64, 128), "Train"), ((128, 128, 0), "Tree"),
    ((192, 128, 192), "Truck_Bus"), ((64, 0, 64), "Tunnel"), ((192, 192, 0), "VegetationMisc"),
    ((0, 0, 0), "Void"), ((64, 192, 0), "Wall"),
)


def camvid_label_map() -> LabelMap:
    """CamVid's published label_colors.txt; `Void` is void."""
    return from_entries([(i, n, c) for i, (c, n) in enumerate(CAMVID_COLORS)],
                        "the CamVid colour map", void_names=("Void",))


# Cityscapes labels (cityscapesScripts helpers/labels.py): name, id, trainId, colour.
CITYSCAPES = (
    ("unlabeled", 0, 255, (0, 0, 0)), ("ego vehicle", 1, 255, (0, 0, 0)),
    ("rectification border", 2, 255, (0, 0, 0)), ("out of roi", 3, 255, (0, 0, 0)),
    ("static", 4, 255, (0, 0, 0)), ("dynamic", 5, 255, (111, 74, 0)), ("ground", 6, 255, (81, 0, 81)),
    ("road", 7, 0, (128, 64, 128)), ("sidewalk", 8, 1, (244, 35, 232)), ("parking", 9, 255, (250, 170, 160)),
    ("rail track", 10, 255, (230, 150, 140)), ("building", 11, 2, (70, 70, 70)), ("wall", 12, 3, (102, 102, 156)),
    ("fence", 13, 4, (190, 153, 153)), ("guard rail", 14, 255, (180, 165, 180)),
    ("bridge", 15, 255, (150, 100, 100)), ("tunnel", 16, 255, (150, 120, 90)), ("pole", 17, 5, (153, 153, 153)),
    ("polegroup", 18, 255, (153, 153, 153)), ("traffic light", 19, 6, (250, 170, 30)),
    ("traffic sign", 20, 7, (220, 220, 0)), ("vegetation", 21, 8, (107, 142, 35)),
    ("terrain", 22, 9, (152, 251, 152)), ("sky", 23, 10, (70, 130, 180)), ("person", 24, 11, (220, 20, 60)),
    ("rider", 25, 12, (255, 0, 0)), ("car", 26, 13, (0, 0, 142)), ("truck", 27, 14, (0, 0, 70)),
    ("bus", 28, 15, (0, 60, 100)), ("caravan", 29, 255, (0, 0, 90)), ("trailer", 30, 255, (0, 0, 110)),
    ("train", 31, 16, (0, 80, 100)), ("motorcycle", 32, 17, (0, 0, 230)), ("bicycle", 33, 18, (119, 11, 32)),
)


def cityscapes_label_map(train_ids: bool) -> LabelMap:
    """Label ids (34 classes; also what instanceIds encode) or train ids (19 classes, 255 void)."""
    if train_ids:
        rows = sorted((t, n, c) for n, _, t, c in CITYSCAPES if t != 255)
        return from_entries(rows, "the Cityscapes train ids")
    # Colours repeat among the void labels; only the first keeps its colour for colour masks.
    return from_entries([(i, n, c) for n, i, _, c in CITYSCAPES], "the Cityscapes label ids")
