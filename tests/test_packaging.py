"""The wheel ships every sub-package: pyproject.toml lists each folder of insight/ that holds an
__init__.py (setuptools' explicit `packages` list does not find new ones by itself)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "insight").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert {p for p in listed if p.startswith("insight.formats")} == {p for p in found if p.startswith("insight.formats")}
