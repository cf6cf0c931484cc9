# make        build the Parquet twins and descriptor from the CSVs, then validate (changes nothing when nothing changed)
# make test   run the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The archived source documents, when this checkout sits beside them; quotes are then checked against them.
ARCHIVE ?= $(wildcard ../shared/seeds)

CSV := $(wildcard data/*.csv)
SCHEMAS := $(wildcard schemas/*.schema.json)
PARQUET := $(CSV:.csv=.parquet)

.PHONY: all validate docs test clean
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

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) dist .pytest_cache
