"""Render the builders' Insights to HTML and PDF for looking at the pages (not a test).

    .venv/bin/python -m tests.report.render_pages /tmp/look
    pdftoppm -r 60 -png /tmp/look/pets/report.pdf /tmp/look/pets/p
"""

from __future__ import annotations

import sys
from pathlib import Path

from insight.report.renderer import render_in_process
from tests.report import builders

INSIGHTS = {
    "pets": builders.pets_insight,
    "curves_error": builders.curves_error_insight,
    "detection": builders.detection_curves_insight,
    "many": builders.many_classes_insight,
    "hostile": builders.hostile_insight,
}


def main(out: str) -> None:
    for name, build in INSIGHTS.items():
        folder = Path(out) / name
        folder.mkdir(parents=True, exist_ok=True)
        html, pdf = render_in_process(build(), folder)  # what `insight report` writes
        (folder / "report.html").write_text(html, encoding="utf-8")
        (folder / "report.pdf").write_bytes(pdf)
        print(folder / "report.pdf")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/look")
