"""Every public helper traces back to its lesson (d2l's habit): its docstring names the notebook."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import lessons_lib


def public_helpers():
    for info in pkgutil.walk_packages(lessons_lib.__path__, "lessons_lib."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if info.name.startswith("lessons_lib.exercises"):
            continue  # questions belong to their lesson module, which names the notebook
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            yield f"{module.__name__}.{name}", obj


HELPERS = sorted(public_helpers(), key=lambda item: item[0])


@pytest.mark.parametrize("qualified_name, helper", HELPERS, ids=[name for name, _ in HELPERS])
def test_helper_has_a_docstring_naming_its_lesson(qualified_name, helper):
    doc = inspect.getdoc(helper) or ""
    module_doc = inspect.getdoc(importlib.import_module(helper.__module__)) or ""
    assert doc, f"{qualified_name} has no docstring"
    assert "notebook" in doc.lower() or "notebook" in module_doc.lower(), (
        f"{qualified_name}: say which lesson introduced it ('Introduced in notebook NN (…)')"
    )


NOTEBOOK_NAMED = re.compile(r"\bnotebooks? (\d\d[a-z]?|A\d)\b")
NOTEBOOK_IDS = {path.name.split("_")[0] for path in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")}


def docstrings():
    for info in pkgutil.walk_packages(lessons_lib.__path__, "lessons_lib."):
        module = importlib.import_module(info.name)
        yield info.name, inspect.getdoc(module) or ""
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == module.__name__:
                yield f"{info.name}.{name}", inspect.getdoc(obj) or ""


def test_every_notebook_a_docstring_names_exists():
    missing = sorted({f"{where}: notebook {number}" for where, doc in docstrings()
                      for number in NOTEBOOK_NAMED.findall(doc) if number not in NOTEBOOK_IDS})
    assert not missing, "docstrings name notebooks that do not exist:\n" + "\n".join(missing)
