# insight: make demo, make test (see README.md)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The stamp names the distribution: a .venv made before the rename from `insight` has no such stamp,
# so make reinstalls, removing the old distribution first (it owned the same package and command).
STAMP  := $(VENV)/.installed-insight-cv

.PHONY: demo test install fixtures bench accuracy clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip uninstall --quiet --yes insight 2>/dev/null || true
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed
	touch $(STAMP)

install: $(STAMP)

fixtures: $(STAMP)
	$(PY) fixtures/make_pets.py
	$(PY) fixtures/make_runs.py

demo: fixtures
	$(VENV)/bin/insight report fixtures/pets --run fixtures/runs/pets_classify/results.csv --out reports/demo
	@echo "Wrote reports/demo/report.html, report.pdf and insight.json"

test: fixtures
	$(PY) -m pytest

$(VENV)/.bench-installed: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) bench/run.py --scale $(or $(SCALE),1.0) $(if $(BENCH_OUT),--out $(BENCH_OUT))

# The curve diagnosis's hit rate on the labelled corpus and the described realdata runs (a measurement)
accuracy: $(STAMP)
	$(PY) bench/accuracy.py

clean:
	rm -rf $(VENV) build dist *.egg-info fixtures/pets fixtures/runs
