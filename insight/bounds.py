"""The folders a dataset may be read from, and the check every file a dataset refers to passes before
it is opened.

    Bounds.of(root, follow_outside)   the dataset folder (Bounds.of takes further roots, which no
                                      loader passes yet: no option names a data.yaml elsewhere)
    bounds.check(path)                OK, MISSING, OUTSIDE or what the file is when it is no regular file
    bounds.screen(paths)              the same for many paths; Screened.findings: outside_dataset and
                                      not_a_regular_file, with a count and up to five examples

Every dataset loader screens the files it is about to open (images, label files, masks, annotation
files) and keeps the image paths it refused in `Dataset.extras[NOT_OPENED]`, so that the duplicate
check and the thumbnails skip them (they check again on their own, for any loader that did not).

A reference leaves the dataset when its folder resolves (symlinks followed, `..` applied) outside every
root, when it is an absolute path elsewhere, or when the file itself is a symlink whose target lies
outside. Such a file is not opened unless `--follow-outside` says so. A file that is not a regular file
(a FIFO, a device such as /dev/zero, a socket, a folder), reached directly or through a symlink, is never
opened, with or without the option.

Cost: each folder is resolved and listed once (a set of names and their kinds from one `scandir`, as
insight/formats/shared/files.py lists folders to find missing images); only a file that is a symlink
costs a `realpath` of its own. A COCO-scale scan (123,000 images in two folders) adds two listings.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from insight.model.findings import MAX_EXAMPLES, Finding, Severity, shown
from insight.safe_input import kind_of

OK, MISSING, OUTSIDE = "ok", "missing", "outside"
_SYMLINK, _OTHER = 1, 2


@dataclass
class Bounds:
    """`roots`: the folders reads are kept in; `follow_outside`: read references that leave them too."""

    roots: tuple[str, ...]
    follow_outside: bool = False
    _inside: dict[str, bool] = field(default_factory=dict, repr=False)
    _listed: dict[str, tuple[frozenset[str], dict[str, int]]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, root: Path | str, follow_outside: bool = False, extra: Iterable[Path | str] = ()) -> Bounds:
        roots = dict.fromkeys(os.path.realpath(r) for r in (root, *extra))
        return cls(tuple(roots), follow_outside)

    @property
    def root(self) -> str:
        return self.roots[0]

    def contains(self, real: str) -> bool:
        """Whether a resolved path lies in one of the roots."""
        return any(real == r or real.startswith(r if r.endswith(os.sep) else r + os.sep) for r in self.roots)

    def folder_inside(self, folder: str) -> bool:
        """Whether `folder` (as written, `..` and links included) resolves inside a root; once a folder."""
        known = self._inside.get(folder)
        if known is None:
            known = self._inside[folder] = self.contains(os.path.realpath(folder))
        return known

    def check(self, path: str | os.PathLike) -> str:
        """OK, MISSING, OUTSIDE, or what the file is when it is no regular file ('a FIFO (named pipe)',
        'a character device', ...)."""
        path = os.fspath(path)
        folder, name = os.path.split(path)
        folder = folder or "."
        if name in ("", ".", ".."):
            return MISSING
        outside = not self.folder_inside(folder)
        if outside and not self.follow_outside:
            return OUTSIDE
        regular, others = self._entries(folder)
        if name in regular:
            return OK
        kind = others.get(name)
        if kind is None:
            return MISSING
        try:
            info = os.stat(path)  # a symlink, or an entry scandir could not type: what it leads to
        except OSError:
            return MISSING
        if kind == _SYMLINK and not self.follow_outside and not self.contains(os.path.realpath(path)):
            return OUTSIDE
        return OK if stat.S_ISREG(info.st_mode) else kind_of(info.st_mode)

    def _entries(self, folder: str) -> tuple[frozenset[str], dict[str, int]]:
        listed = self._listed.get(folder)
        if listed is None:
            listed = self._listed[folder] = _list(folder)
        return listed

    def screen(self, paths: Sequence[str | os.PathLike]) -> Screened:
        """check() of each path, gathered: which can be opened, which leave the roots, which are no
        regular file (with what they are); a missing file is neither (the loaders' own findings say it).
        The common cases, a regular file or a missing one in a folder inside the roots, are one or two
        set lookups (a COCO-scale scan: 123,000 paths in about 50 ms)."""
        result = Screened([False] * len(paths))
        listed: dict[str, tuple[frozenset[str], dict[str, int]] | None] = {}  # None: outside
        ok = result.ok
        for i, path in enumerate(paths):
            path = path if isinstance(path, str) else os.fspath(path)
            folder, _, name = path.rpartition(os.sep)
            entries = listed.get(folder, ())
            if entries == ():
                entries = listed[folder] = self._listing(folder)
            if entries is not None:
                if name in entries[0]:
                    ok[i] = True
                    continue
                if name not in entries[1]:  # not in the folder at all: missing
                    continue
            verdict = self.check(path)
            if verdict == OK:
                ok[i] = True
            elif verdict == OUTSIDE:
                result.outside.append(i)
            elif verdict != MISSING:
                result.not_regular.append((i, verdict))
        return result

    def _listing(self, folder: str) -> tuple[frozenset[str], dict[str, int]] | None:
        """The folder's entries (regular files; the kind of every other) when it lies inside the roots
        (or outside ones may be read), else None."""
        if not folder or (not self.follow_outside and not self.folder_inside(folder)):
            return None
        return self._entries(folder)


def _list(folder: str) -> tuple[frozenset[str], dict[str, int]]:
    """The names of a folder's regular files, and the kind of every other entry (_SYMLINK, _OTHER)."""
    regular, others = [], {}
    try:
        with os.scandir(folder) as entries:
            for e in entries:
                try:
                    if e.is_file(follow_symlinks=False):
                        regular.append(e.name)
                    else:
                        others[e.name] = _SYMLINK if e.is_symlink() else _OTHER
                except OSError:
                    others[e.name] = _OTHER
    except OSError:
        pass
    return frozenset(regular), others


@dataclass
class Screened:
    """Per path whether it may be opened; the positions of those that leave the roots, and of those that
    are no regular file with what each is."""

    ok: list[bool]
    outside: list[int] = field(default_factory=list)
    not_regular: list[tuple[int, str]] = field(default_factory=list)

    @property
    def refused(self) -> list[int]:
        return sorted(self.outside + [i for i, _ in self.not_regular])

    def findings(self, names: Sequence[str] | Callable[[int], str], what: str) -> list[Finding]:
        """`names`: each path as the dataset writes it (relative to the root, or as the list file or
        annotation gives it), or a function of the position giving it; `what`: the files, e.g. 'image
        files named by the annotations'. Merge the findings of several screenings with `merged`."""
        name = names if callable(names) else names.__getitem__
        found = []
        if self.outside:
            found.append(Finding("outside_dataset", Severity.WARNING, len(self.outside), values={"what": [what]},
                                 examples=[shown(name(i)) for i in self.outside[:MAX_EXAMPLES]]))
        if self.not_regular:
            kinds = sorted({kind for _, kind in self.not_regular})
            found.append(Finding("not_a_regular_file", Severity.WARNING, len(self.not_regular),
                                 values={"what": [what], "kinds": kinds},
                                 examples=[f"{shown(name(i))} ({kind})" for i, kind in self.not_regular[:MAX_EXAMPLES]]))
        return found


def merged(findings: Iterable[Finding]) -> list[Finding]:
    """Findings of one code (outside_dataset, not_a_regular_file) from several screenings as one."""
    by_code: dict[str, Finding] = {}
    for f in findings:
        if f.code not in by_code:
            by_code[f.code] = f
            continue
        first = by_code[f.code]
        values = {k: list(dict.fromkeys([*first.values.get(k, []), *v])) for k, v in f.values.items()}
        by_code[f.code] = Finding(f.code, first.severity, first.count + f.count, values=values,
                                  examples=[*first.examples, *f.examples])
    return list(by_code.values())


def not_opened(dataset_extras: dict) -> frozenset[str]:
    """The image paths (as in the images table) a loader refused to open, kept in Dataset.extras."""
    return frozenset(dataset_extras.get(NOT_OPENED, ()))


NOT_OPENED = "not_opened"


def screen_images(paths: Sequence[str], root: Path | str, bounds: Bounds, what: str) -> tuple[Screened, list[Finding]]:
    """`paths`: the images table's paths (relative to `root`, as the loader wrote them). The screening
    and its findings; `Screened.ok` says which may be opened."""
    screened = bounds.screen(joined(os.fspath(root), paths))
    return screened, screened.findings(paths, what)


def joined(base: str, paths: Sequence[str]) -> list[str]:
    """os.path.join(base, p) for each p, by concatenation where that is the same (a relative, non-empty
    p): a tenth of join's time on a COCO-scale list."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    return [prefix + p if p and not p.startswith(os.sep) else os.path.join(base, p) for p in paths]
