"""Where the report's templates live: the `insight.templates` package (the repo's templates/ folder)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jinja2


def templates_dir() -> Path:
    return Path(str(files("insight.templates")))


def template_loader() -> jinja2.BaseLoader:
    return jinja2.FileSystemLoader(str(templates_dir()))
