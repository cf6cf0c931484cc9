# make        build the Parquet twins and descriptor from the CSVs, then validate (changes nothing when nothing changed)
# make test   run the tests
# make diff   what changed since the last release (make diff OLD=<zip, folder or git ref> NEW=<same>)
# make release  the release in dist/;  make serve  browse its SQLite database in Datasette on localhost
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

.PHONY: all validate docs test release diff serve bench clean
all: validate docs

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# One build writes every twin and the descriptor together, and only after the CSVs validate.
$(PARQUET) datapackage.json &: $(CSV) $(SCHEMAS) $(STAMP)
	$(PY) scripts/build.py

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

# The previous release: the latest v* tag, unless a zip is named (make release PREVIOUS=old.zip).
PREVIOUS ?=
# dist/: the zip, the SQLite database, its Datasette metadata, CHANGES.md and SHA256SUMS, reproducible byte for byte.
release: $(PARQUET) datapackage.json $(STAMP)
	$(PY) scripts/release.py $(if $(ARCHIVE),--archive $(ARCHIVE)) $(if $(PREVIOUS),--previous $(PREVIOUS))

# Each side a release zip, a package folder or a git ref; by default the latest v* tag against this folder.
OLD ?= $(shell git tag --list 'v*' --sort=-v:refname 2>/dev/null | head -n 1)
NEW ?= .
diff: $(STAMP)
	@test -n "$(OLD)" || { echo "make diff: no v* tag yet; name the old version: make diff OLD=<zip, folder or git ref>"; exit 2; }
	$(PY) scripts/diff.py $(OLD) $(NEW)

# dist/ holds one release, so each glob names one file; --immutable opens it read-only.
PORT ?= 8001
serve: release
	$(VENV)/bin/datasette serve --immutable dist/*.sqlite --metadata dist/*.datasette.json --host 127.0.0.1 --port $(PORT)

clean:
	rm -rf $(VENV) $(CFF_VENV) dist .pytest_cache
