"""One source of truth: pyproject.toml, environment.yml and binder/ list the same dependencies."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_names(requirements) -> dict[str, str]:
    """{'torch': '==2.13.0', 'numpy': ''} from requirement strings (pip options skipped)."""
    found = {}
    for requirement in requirements:
        if requirement.startswith("-"):
            continue
        name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
        found[name.lower().replace("_", "-")] = spec.replace(" ", "")
    return found


def pyproject_dependencies() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return requirement_names(project["dependencies"])


def conda_pip_dependencies(path: Path) -> dict[str, str]:
    environment = yaml.safe_load(path.read_text())
    (pip_section,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    return requirement_names(pip_section)


def test_environment_yml_lists_exactly_the_package_dependencies():
    assert conda_pip_dependencies(ROOT / "environment.yml") == pyproject_dependencies()


def test_torch_is_pinned_to_the_cpu_build_everywhere():
    assert pyproject_dependencies()["torch"] == "==2.13.0"
    environment = (ROOT / "environment.yml").read_text()
    assert "download.pytorch.org/whl/cpu" in environment, "Binder must not pull the CUDA wheels"


def test_binder_reads_the_same_environment_and_installs_the_package():
    binder_environment = ROOT / "binder" / "environment.yml"
    assert binder_environment.resolve() == (ROOT / "environment.yml").resolve() or \
        conda_pip_dependencies(binder_environment) == pyproject_dependencies()
    assert not (ROOT / "binder" / "requirements.txt").exists(), "ignored by repo2docker next to environment.yml"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "set -euo pipefail" in post_build
    assert "pip install --no-deps -e ." in post_build, "repo2docker does not install pyproject.toml when binder/ exists"
    assert "python -m lessons_lib.data" in post_build, "datasets are fetched at build time"
    assert '"saveState"] = True' in post_build and "jupyterlab-manager:plugin" in post_build, (
        "Binder saves widget state in the notebooks (00 says so)")


def test_nbgrader_stays_out_of_the_learners_image():
    assert "nbgrader" not in pyproject_dependencies()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("nbgrader") for r in project["optional-dependencies"]["instructor"])


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if "pytest" in line and not line.lstrip().startswith("#")]
    assert commands and commands[0] in readme, "the first pytest in .ci/run is the README's test command, verbatim"
    for later in commands[1:]:      # later checks run one test file on what the full-mode step made (README names it)
        files = re.findall(r"tests/\S+\.py", later)
        assert len(files) == 1 and files[0] in readme, later


def test_notebooks_are_committed_without_outputs():
    import json

    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        stored = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
        assert not stored, f"{notebook.name}: cells {stored} carry outputs; clear them before committing"
