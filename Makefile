# make        build the Parquet twins and descriptors from the CSVs, validate, regenerate the docs (a no-op when nothing changed)
# make test   the tests a maintainer runs before each commit (under a minute, lint beside them: slow tests left out)
# make check  every test, the slow ones too (as CI runs them: several minutes)
# make lint   ruff (lint and format) over the repository, and mypy on the files pyproject.toml names
# make dist   the wheel and sdist of the Python package, in dist/
# make diff   what changed since the last release (make diff OLD=<zip, folder or git ref> NEW=<same>)
# make release  the release in dist/;  make serve  browse its SQLite database in Datasette on localhost
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# uv installs the pinned requirements several times faster than pip; it is itself installed by pip, from PyPI.
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# cffconvert pins a jsonschema that frictionless cannot use: it gets a venv of its own.
CFF_VENV := .venv-cff
CFF_STAMP := $(CFF_VENV)/.installed
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed
# The archived source documents, when this checkout sits beside them; quotes are then checked against them.
ARCHIVE ?= $(wildcard ../shared/seeds)
# Paths a user names reach the shell only as environment variables, quoted: a file name is never shell syntax.
export MAKE_ARCHIVE = $(ARCHIVE)
ARCHIVE_ARG := $${MAKE_ARCHIVE:+--archive "$$MAKE_ARCHIVE"}

CSV := $(wildcard data/*.csv)
SCHEMAS := $(wildcard schemas/*.schema.json)
PARQUET := $(CSV:.csv=.parquet)
CODE := $(wildcard isis_iraq_syria/*.py isis_iraq_syria/rules/*.py)
# Stamps record that a step ran on its current inputs: the build rewrites a file only when its bytes change, and
# validation and the docs write nothing, so without them make would see stale outputs and redo every step.
VALIDATED := $(VENV)/.validated$(if $(ARCHIVE),-with-archive)
DOCS_STAMP := $(VENV)/.docs$(if $(ARCHIVE),-with-archive)

.PHONY: all validate docs test fast-tests check lint release diff serve dist bench clean FORCE
all: validate docs

# A venv without pip (3 s less); the Python's own pip puts uv in it, or, where that pip is missing or too old for
# --python, a venv with pip does.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --disable-pip-version-check --progress-bar on uv==$(UV_VERSION) \
	  || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --disable-pip-version-check --progress-bar on uv==$(UV_VERSION); }
	$(UV) pip install --python $(PY) --compile-bytecode -r requirements.txt
	$(UV) pip install --python $(PY) --no-deps -e .
	touch $@

# One build writes every twin and both descriptors together, and only after the CSVs validate; it leaves unchanged
# files as they were, so they are touched to show make that they are current. A staging folder left by an
# interrupted build makes the build run again, to finish or undo it, whatever the files' times.
$(PARQUET) datapackage.json datapackage-v1.json &: $(CSV) $(SCHEMAS) $(CODE) $(STAMP) $(if $(wildcard .build-staging),FORCE)
	$(PY) scripts/build.py
	touch $(PARQUET) datapackage.json datapackage-v1.json

FORCE:

validate: $(VALIDATED)
$(VALIDATED): $(PARQUET) datapackage.json $(CSV) $(SCHEMAS) $(CODE)
	$(PY) scripts/validate.py $(ARCHIVE_ARG)
	@# frictionless's table of every resource only when it fails, or with V=1 (make V=1)
	@$(VENV)/bin/frictionless validate datapackage.json > $(VENV)/.frictionless.log 2>&1 \
	  && { echo "frictionless: datapackage.json valid"; $(if $(V),cat $(VENV)/.frictionless.log;) } \
	  || { cat $(VENV)/.frictionless.log; exit 1; }
	touch $@

# The codebook, the diagram (when Graphviz is installed), the charts, README's generated sections and the metadata
# for the data hubs (croissant.json, dataset.jsonld, .zenodo.json, CITATION.cff); with the archive, the evidence
# quotes as Web Annotations (annotations.jsonld), which without it are left as they are.
docs: $(DOCS_STAMP)
$(DOCS_STAMP): $(PARQUET) datapackage.json $(SCHEMAS) $(CODE) README.md CHANGELOG.md
	$(PY) scripts/codebook.py $(ARCHIVE_ARG)
	touch $@

# Apache Spark for the test that runs every rule's query on it (tests/test_spark.py): a venv of its own, since
# pandera imports pyspark wherever it is installed (3 s more for every validation, and a warning).
$(SPARK_STAMP): requirements-spark.txt | $(STAMP)
	$(UV) venv --quiet --clear --python $(PYTHON) $(SPARK_VENV)
	$(UV) pip install --python $(SPARK_VENV)/bin/python -r requirements-spark.txt
	touch $@

$(CFF_STAMP): requirements-cff.txt | $(STAMP)
	$(UV) venv --quiet --clear --python $(PYTHON) $(CFF_VENV)
	$(UV) pip install --python $(CFF_VENV)/bin/python -r requirements-cff.txt
	touch $@

# pytest-xdist: one worker per core; a file's tests share a worker, so that what a test module sets up once (a
# wheel, an R session) is set up once. Tests marked slow (pyproject.toml: over about 2 s, or one of many cases of
# one check) run in make check and CI only.
TEST_WORKERS ?= auto
# each tier ends with its ten slowest tests, so that a test that grows slow is seen
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=10
# lint and the fast tests side by side: mypy, on a fresh clone without its cache, takes a core for about 10 s
test: $(STAMP)
	@$(MAKE) --no-print-directory -j2 lint fast-tests

fast-tests: $(STAMP)
	$(PYTEST) -m "not slow"

check: $(STAMP) $(CFF_STAMP) $(SPARK_STAMP)
	CFFCONVERT=$(CFF_VENV)/bin/cffconvert $(PYTEST)

# ruff over every file of the repository (its settings in pyproject.toml); mypy, strict, on the files [tool.mypy]
# names
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# dist/isis_iraq_syria-<version>-py3-none-any.whl and the sdist: the package with its data, schemas and descriptors.
dist: $(STAMP) $(PARQUET) datapackage.json datapackage-v1.json
	$(UV) build --quiet --out-dir dist

# docs/benchmarks.md: the validator against a typed read of every CSV, side by side, on synthetic packages up to 1M
# statistics, and a planted package at 100k (about a quarter of an hour)
bench: $(STAMP)
	$(PY) benchmarks/bench_validate.py

# The previous release: the latest v* tag, unless a zip is named (make release PREVIOUS=old.zip).
PREVIOUS ?=
# dist/: the zip, the SQLite database, its Datasette metadata, CHANGES.md and SHA256SUMS, reproducible byte for byte.
release: export MAKE_PREVIOUS = $(PREVIOUS)
release: $(PARQUET) datapackage.json $(STAMP)
	$(PY) scripts/release.py $(ARCHIVE_ARG) $${MAKE_PREVIOUS:+--previous "$$MAKE_PREVIOUS"}

# Each side a release zip, a package folder or a git ref; by default the latest v* tag against this folder.
OLD ?= $(shell git tag --list 'v*' --sort=-v:refname 2>/dev/null | head -n 1)
NEW ?= .
# OLD and NEW reach the shell only as environment variables, quoted: a tag or a file name is never shell syntax.
diff: export DIFF_OLD = $(OLD)
diff: export DIFF_NEW = $(NEW)
diff: $(STAMP)
	@# no tag yet: nothing to compare with by default, which is no error; say what can be compared instead
	@if [ -z "$$DIFF_OLD" ]; then \
	  echo "make diff: no v* tag yet, so no release to compare with. Name the old version: a release zip"; \
	  echo "  (make diff OLD=isis-iraq-syria-0.1.0.zip), a package folder (OLD=../old-checkout), or a git branch,"; \
	  echo "  tag or commit id (OLD=main)."; \
	else $(PY) scripts/diff.py -- "$$DIFF_OLD" "$$DIFF_NEW"; fi

# The release's database and its Datasette metadata are the files of those suffixes that dist/.release-manifest.json
# lists with their bytes unchanged (release_dist.owned_files): a user's own experiment.sqlite in dist/ is never served.
# --immutable opens the database read-only.
PORT ?= 8001
RELEASE_FILE = $(PY) -c 'import sys; from pathlib import Path; from isis_iraq_syria.release_dist import owned_files; \
  names = [n for n in owned_files(Path("dist")) if n.endswith(sys.argv[1])]; \
  print(names[0]) if len(names) == 1 else sys.exit(f"make serve: dist/ holds no {sys.argv[1]} file of a release")'
serve: release
	@db="$$($(RELEASE_FILE) .sqlite)" && meta="$$($(RELEASE_FILE) .datasette.json)" && \
	  $(VENV)/bin/datasette serve --immutable "dist/$$db" --metadata "dist/$$meta" --host 127.0.0.1 --port "$(PORT)"

clean:
	rm -rf $(VENV) $(CFF_VENV) $(SPARK_VENV) dist .pytest_cache
