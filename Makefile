# make        build the Parquet twins and descriptor from the CSVs, then validate (changes nothing when nothing changed)
# make test   run the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# cffconvert pins a jsonschema that frictionless cannot use: it gets a venv of its own.
CFF_VENV := .venv-cff
CFF_STAMP := $(CFF_VENV)/.installed
# The archived source documents, when this checkout sits beside them; quotes are then checked against them.
ARCHIVE ?= $(wildcard ../shared/seeds)

CSV := $(wildcard data/*.csv)
SCHEMAS := $(wildcard schemas/*.schema.json)
PARQUET := $(CSV:.csv=.parquet)

.PHONY: all validate docs test release bench clean FORCE
all: validate docs

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# One build writes every twin and the descriptor together, and only after the CSVs validate. A staging folder
# left by an interrupted build makes the build run again, to finish or undo it, whatever the files' times.
$(PARQUET) datapackage.json &: $(CSV) $(SCHEMAS) $(STAMP) $(if $(wildcard .build-staging),FORCE)
	$(PY) scripts/build.py

FORCE:

validate: $(PARQUET) datapackage.json
	$(PY) scripts/validate.py $(if $(ARCHIVE),--archive $(ARCHIVE))
	$(VENV)/bin/frictionless validate datapackage.json

# The codebook, the diagram (when Graphviz is installed) and README's generated sections.
docs: $(STAMP)
	$(PY) scripts/codebook.py

$(CFF_STAMP): requirements-cff.txt
	$(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-cff.txt
	touch $@

test: $(STAMP) $(CFF_STAMP)
	CFFCONVERT=$(CFF_VENV)/bin/cffconvert $(PY) -m pytest

# docs/benchmarks.md: the validator against frictionless on synthetic packages up to 5M rows (about half an hour)
bench: $(STAMP)
	$(PY) benchmarks/bench_validate.py

# dist/isis-iraq-syria-<version>.zip and dist/SHA256SUMS, reproducible byte for byte.
release: $(STAMP)
	$(PY) scripts/release.py

clean:
	rm -rf $(VENV) $(CFF_VENV) dist .pytest_cache
