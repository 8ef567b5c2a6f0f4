"""Hand-written insight.json dicts for the CI outputs: the shape `insight_dict` gives (keys as in
insight.json), values chosen so that every expected case can be counted by eye."""

from __future__ import annotations

HOSTILE = '<b>|x & "q" *y* [l](http://e) $m$ \x01'  # a class name that XML and markdown must carry as is


def finding(code: str, severity: str, message: str, count: int = 1, examples=()) -> dict:
    return {"code": code, "severity": severity, "count": count, "values": {}, "examples": list(examples),
            "epoch": None, "message": message}


def dataset_doc(health=(), settings=()) -> dict:
    return {
        "schema": "insight/2", "insight_version": "0.1.0", "generated_at": "2026-11-22T12:20:00Z",
        "report_id": "0123456789abcdef",
        "dataset": {"path": "data/pets", "task": "classification", "format": "class-folders",
                    "classes": ["cat", HOSTILE], "splits": {"train": {"images": 21, "labels": 21}},
                    "notes": [], "background": []},
        "representation": {"cutoff": 8, "total": 21, "classes": [], "split_findings": [],
                           "verdict": finding("underrepresented", "warning",
                                              f"Fix first: {HOSTILE} (add 6) is seriously under-represented.")},
        "health": list(health), "curves": None, "curves_error": "No training log was given (--run).",
        "settings": list(settings),
    }


def curves_doc(scenario="C", findings=()) -> dict:
    return {
        "schema": "insight/2", "insight_version": "0.1.0",
        "curves": {"format": "ultralytics-csv", "source": "runs/exp/results.csv", "scenario": scenario,
                   "judged_on": "train+val", "rule": "The validation loss rose 82.6 % above its best.",
                   "advice": "Add data augmentation.", "findings": list(findings), "metrics": []},
        "curves_error": None, "settings": [],
    }
