"""The README inside the release's zip: what it holds, how to load it, how to check it."""

from __future__ import annotations

from .schema import Package


def _load_example(package: Package) -> tuple[str, str, str, str]:
    """A table to show in the examples and one it references: the most connected table (keys to it and from it)."""
    degree = {name: sum(fk.resource != name for fk in t.foreign_keys) for name, t in package.tables.items()}
    for t in package.tables.values():
        for fk in t.foreign_keys:
            if fk.resource != t.name:
                degree[fk.resource] += 1
    table = package.tables[min(degree, key=lambda name: (-degree[name], name))]
    fk = next((fk for field_, fk in table.foreign_key_of.items() if fk.resource != table.name), None)
    if fk is None:
        return table.name, "", "", ""
    return table.name, fk.fields[0], fk.resource, fk.ref_fields[0]


def release_readme(package: Package, name: str, db: str, has_previous: bool) -> str:
    """The README inside the zip: what is in it, how to load it, how to check it. It names only files it holds."""
    d = package.descriptor
    table, column, parent, parent_key = _load_example(package)
    tables = "\n".join(
        f"- `data/{t.name}.csv` and `data/{t.name}.parquet`: {t.description}"
        for t in sorted(package.tables.values(), key=lambda t: t.name)
    )
    tables += "".join(
        f"\n- `data/{t.name}.csv` and `data/{t.name}.parquet`, for analysis: {t.description} Derived by the build "
        f"from {', '.join(t.derived_from or [])}."
        for t in sorted(package.derived.values(), key=lambda t: t.name)
    )
    licenses = (
        ", ".join(x.get("name", "") for x in d.get("licenses", []) if isinstance(x, dict)) or "see LICENSE-DATA.md"
    )
    join = (
        f"SELECT t.*, p.* FROM {table} t JOIN {parent} p ON t.{column} = p.{parent_key};"
        if parent
        else f"SELECT * FROM {table};"
    )
    duck = (
        f"SELECT * FROM 'data/{table}.parquet' t JOIN 'data/{parent}.parquet' p ON t.{column} = p.{parent_key};"
        if parent
        else f"SELECT * FROM 'data/{table}.parquet';"
    )
    changes = (
        "`CHANGES.md` (for people) and `CHANGES.json` (for programs) list what changed since the previous release: "
        "rows added, removed and changed by primary key, schema changes, and the version bump they needed."
        if has_previous
        else "This is the first release: `CHANGES.md` and `CHANGES.json` list every table as new."
    )
    # Each code block runs as it stands in tests/test_standalone.py: in the unzipped folder, or, marked
    # `readme-test: download`, in the folder holding the downloaded zip and SHA256SUMS.
    return f"""# {d.get("title", package.name)}, version {package.version}

{d.get("description", "")}

This archive is a [Frictionless Data Package v2](https://datapackage.org/): `datapackage.json` describes every
file, with its Table Schema, its sha256 and (for CSVs) its size. `datapackage-v1.json` is the same package for
Data Package v1 readers (the CSVs only, with inline schemas).

## What is inside

{tables}
- `schemas/`: one Table Schema per table (types, constraints, primary and foreign keys); `docs/codebook.md` lists
  every field, and `docs/erd.svg` draws the tables and their foreign keys.
- `{db}.sqlite`: every table in one SQLite database, with types, NULL for missing values, and primary and
  foreign keys declared; `{db}.datasette.json` is its Datasette metadata (titles, descriptions, license, sources).
- `R/read_package.R`: a reader for R that needs only readr and jsonlite (see below).
- `CHANGES.md` and `CHANGES.json`: what changed in this version. `CHANGELOG.md`: every version.
- `CITATION.cff`: how to cite it. `LICENSE-DATA.md`: the data's license ({licenses}). `LICENSE`: the code's.
- For data hubs: `croissant.json` (Croissant 1.1, a record set per table), `dataset.jsonld` (a schema.org Dataset),
  and `annotations.jsonld` (every evidence quote as a W3C Web Annotation on its document, named by sha256;
  positions in UTF-16 code units, as JavaScript annotation tools count).

The CSVs are the source of truth (UTF-8, a header row, rows in primary-key order); each Parquet file holds the
same rows with their types. In a CSV an empty cell is the only missing value: "NA" is text.

## Loading it

Unzip the archive first (`unzip {name}.zip -d {name}`), then from inside the folder.

pandas, from Parquet or from the CSV, with the same types either way (each column typed by its Table Schema:
nullable integers and numbers, `string`, `boolean`, dates as `datetime64[ms]`, an empty column too):

```python
import json, pandas as pd
schema = json.load(open("schemas/{table}.schema.json"))
types = {{"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[ms]"}}
dtypes = {{f["name"]: types[f["type"]] for f in schema["fields"]}}
dates = [f["name"] for f in schema["fields"] if f["type"] == "date"]

from_parquet = pd.read_parquet("data/{table}.parquet").astype(dtypes)
from_csv = pd.read_csv("data/{table}.csv", keep_default_na=False, na_values=[""], parse_dates=dates,
                       dtype={{n: t for n, t in dtypes.items() if n not in dates}}).astype(dtypes)
```

polars, with the types the Parquet file stores (`Date`, `Int64`, `Float64`, `Boolean`, `String`):

```python
import polars as pl
{table} = pl.read_parquet("data/{table}.parquet")
```

DuckDB:

```sql
{duck}
```

R, with readr and jsonlite (Debian: `r-cran-readr r-cran-jsonlite`; no arrow needed): `R/read_package.R` reads
the CSVs with the types of the Table Schemas (factors for allowed values, `Date`s, integers, logicals).

```r
source("R/read_package.R")
tables <- read_package(".")
str(tables${table})
```

frictionless:

```python
from frictionless import Package
rows = Package("datapackage.json").get_table_resource("{table}").read_rows()
```

SQLite and Datasette (`datasette serve --immutable {db}.sqlite --metadata {db}.datasette.json`, then open the
address it prints: each foreign key is a link to the row it references):

```sh
sqlite3 {db}.sqlite "{join}"
```

## Checking it

Beside the downloaded files: the checksums prove the files are the ones released; frictionless checks every cell
of the zip against its schema and every file's sha256 and size against the descriptor; the package's own
validator (`isis-iraq-syria validate`, installed with the package's `validate` extra) runs every rule on the zip or,
inside the unzipped folder, on the folder; the SQLite checks print only `ok`.

<!-- readme-test: download -->
```sh
sha256sum -c SHA256SUMS
frictionless validate {name}.zip
isis-iraq-syria validate {name}.zip
sqlite3 {db}.sqlite "PRAGMA foreign_key_check; PRAGMA integrity_check;"
```

## What changed

{changes}
Versions follow SemVer: a major version for a change that can break a user's code (a table, column or row removed,
a column renamed, a type changed, an id reused for something else), a minor version for new data, tables or
columns, a patch version for corrections of values.
"""
