"""The package installed as a user installs it, in a fresh virtual environment outside the checkout: from the wheel
that `make dist` builds (from the sdist) and from the checkout itself. It carries its data and loads typed tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import ROOT

# each test builds the wheel or installs the package into a fresh virtual environment
pytestmark = pytest.mark.slow

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text())
# the versions already in the test environment, so that the installer reuses its cache
RUNTIME = [f"pandas=={version('pandas')}", f"pyarrow=={version('pyarrow')}"]

CHECK = """
import importlib.metadata, json, isis_iraq_syria as d
frame = d.load('statistics')
print(json.dumps({'dtypes': {c: str(t) for c, t in frame.dtypes.items()}, 'rows': len(frame), 'root': str(d.root()),
                  'version': importlib.metadata.version('isis-iraq-syria'), 'data_version': d.__version__,
                  'tables': list(d.tables())}))
"""


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if UV is None:
        pytest.skip("uv is not installed: run make")
    out = tmp_path_factory.mktemp("dist")
    _run(UV, "build", "--quiet", "--out-dir", out, ROOT)  # the sdist, then the wheel from it, as `make dist`
    return next(out.glob("*.whl"))


# the validator's libraries at the versions of the test environment (the [validate] extra), for the same reason
VALIDATOR = [
    f"{name}=={version(name)}"
    for name in ("polars", "pandera", "pycountry", "rich", "duckdb", "sqlglot", "numpy", "frictionless", "packaging")
]


def _install(tmp: Path, target: Path, extra: str = "", pins: list[str] = RUNTIME) -> Path:
    venv = tmp / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(UV, "pip", "install", "--quiet", "--python", python, f"{target}{extra}", *pins, cwd=tmp)
    return python


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> dict[str, Path]:
    """The Python of a fresh venv with the package installed from the wheel, and of one installed from the checkout."""
    return {
        source: _install(tmp_path_factory.mktemp(source), target)
        for source, target in (("wheel", wheel), ("checkout", ROOT))
    }


@pytest.mark.parametrize("source", ["wheel", "checkout"])
def test_installed_package_loads_typed_tables_outside_the_checkout(
    installed: dict[str, Path], tmp_path: Path, source: str
) -> None:
    python = installed[source]
    found = json.loads(_run(python, "-c", CHECK, cwd=tmp_path).stdout)
    assert Path(found["root"]).is_relative_to(python.parents[2]), "the data must come from the installed package"
    assert found["version"] == found["data_version"] == DESCRIPTOR["version"]
    assert found["tables"] == [r["name"] for r in DESCRIPTOR["resources"] if r["format"] == "csv"]
    assert found["rows"] == sum(1 for _ in (ROOT / "data" / "statistics.csv").open()) - 1
    pandas = {
        "string": "string",
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": "datetime64[ms]",
    }
    fields = json.loads((ROOT / "schemas" / "statistics.schema.json").read_text())["fields"]
    assert found["dtypes"] == {
        f["name"]: "category" if f.get("constraints", {}).get("enum") else pandas[f["type"]] for f in fields
    }


def test_wheel_holds_the_descriptors_data_and_schemas(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"datapackage.json", "datapackage-v1.json", "LICENSE-DATA.md"}
    expected |= {r["path"] for r in DESCRIPTOR["resources"]} | {r["schema"] for r in DESCRIPTOR["resources"]}
    assert {f"isis_iraq_syria/_package/{name}" for name in expected} <= names


def test_console_command_without_the_validator_says_what_to_install(installed: dict[str, Path], tmp_path: Path) -> None:
    python = installed["wheel"]
    result = subprocess.run(
        [python.parent / "isis-iraq-syria", "validate"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "pip install 'isis-iraq-syria[validate]'" in result.stderr and "Traceback" not in result.stderr


def test_the_validate_extra_validates_the_installed_package(wheel: Path, tmp_path: Path) -> None:
    """`pip install 'isis-iraq-syria[validate]'` brings every library the validator needs, frictionless included:
    `isis-iraq-syria validate`, run where no datapackage.json is, validates the installed copy and finds it valid."""
    python = _install(tmp_path / "install", wheel, "[validate]", [*RUNTIME, *VALIDATOR])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [python.parent / "isis-iraq-syria", "validate"], capture_output=True, text=True, cwd=elsewhere, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    installed = python.parents[1]
    assert re.match(
        rf"validating the installed package \({re.escape(str(installed))}/\S+/_package\); no build here", result.stdout
    ), result.stdout
    assert re.search(r"^valid: \d+ rules over \d+ rows in \d+ tables", result.stdout, re.MULTILINE), result.stdout


QUESTION = """
import json, isis_iraq_syria as d
f = d.load("figures_wide")
answer = f[f.indicator_id.isin(["isis_operatives_killed", "isis_operatives_detained"]) & f.iso_code.isin(["IRQ", "SYR"])
           & (f.period_start >= "2024-01-01") & (f.period_end <= "2024-06-30")]
print(json.dumps({"dtypes": {c: str(answer[c].dtype) for c in ("count", "period_start")},
                  "rows": [[r.indicator_id, r.iso_code, int(r.count), r.document_names, r.asserted_by, r.quote]
                           for r in answer.itertuples()]}))
"""


def test_pandas_extra_answers_the_question_in_one_filter_with_documents_and_quotes(tmp_path: Path) -> None:
    """pip install ".[pandas]" in a fresh venv, then the README's one filter on figures_wide, run outside the
    checkout: counts as integers, dates as dates, the document that reports each figure and its words."""
    assert UV is not None, "uv is not installed: run make"
    venv = tmp_path / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    _run(UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", ".[pandas]", *RUNTIME, cwd=ROOT)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    found = json.loads(_run(venv / "bin" / "python", "-c", QUESTION, cwd=outside).stdout)
    assert found["dtypes"] == {"count": "Int64", "period_start": "datetime64[ms]"}
    counts = {(indicator, iso): count for indicator, iso, count, *_ in found["rows"]}
    assert counts == {
        ("isis_operatives_killed", "IRQ"): 30,
        ("isis_operatives_killed", "SYR"): 14,
        ("isis_operatives_detained", "IRQ"): 74,
        ("isis_operatives_detained", "SYR"): 92,
    }
    for _, iso, count, documents, speaker, quote in found["rows"]:
        assert documents == "Shafaq News" and speaker == "US Central Command (CENTCOM)" and str(count) in quote
        assert quote.startswith({"IRQ": "In Iraq,", "SYR": "In Syria,"}[iso])
