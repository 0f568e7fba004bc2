"""The direction of imports (design.md, "the kernel and the topics"), kept true by one test per rule.

lessons_lib is a small shared **kernel** plus one **topic** module per subject. Kernel modules import only the
kernel; a topic module imports only the kernel, never another topic; a lesson's exercise module and a notebook import
the kernel and at most one topic module (their own lesson's). Every module of lessons_lib that is not listed in
KERNEL is a topic module, so a new lesson's module is checked without editing this file.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lessons_lib"
KERNEL = {"__init__", "settings", "lesson", "validation", "data", "training", "plots", "models", "measure", "conv",
          "widgets", "exercises", "exercises.core", "keras_interop", "inspection", "quality"}


def unit_of(dotted: str) -> str:
    """lessons_lib.data.registry → 'data'; lessons_lib.exercises.core → 'exercises.core'; lessons_lib → '__init__'."""
    parts = dotted.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[0] == "exercises" and len(parts) > 1:
        return f"exercises.{parts[1]}"
    return parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_submodule(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_units(tree: ast.AST, current: str | None = None, is_package: bool = False) -> set[str]:
    """The lessons_lib units an AST imports (absolute or relative to the module ``current``)."""
    units = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            units |= {unit_of(alias.name) for alias in node.names if alias.name.split(".")[0] == "lessons_lib"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = current.split(".") if is_package else current.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "lessons_lib":
                continue
            for alias in node.names:   # `from lessons_lib import audio` imports the topic module audio
                candidate = f"{target}.{alias.name}"
                units.add(unit_of(candidate if is_submodule(candidate) else target))
    return units


def library_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        yield name, unit_of(name), imported_units(ast.parse(path.read_text()), name, path.name == "__init__.py")


def notebook_code(path: Path) -> str:
    """The notebook's code cells as one Python source, IPython magics (``%pip …``) replaced by ``pass``."""
    cells = json.loads(path.read_text())["cells"]
    lines = [line for cell in cells if cell["cell_type"] == "code" for line in "".join(cell["source"]).splitlines()]
    return "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                     for line in lines)


LIBRARY = list(library_modules())
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def topics(units: set[str]) -> set[str]:
    return {unit for unit in units if unit not in KERNEL and not unit.startswith("exercises.")}


@pytest.mark.parametrize("name, unit, imports", [m for m in LIBRARY if m[1] in KERNEL], ids=lambda v: v if isinstance(v, str) else "")
def test_kernel_modules_import_only_the_kernel(name, unit, imports):
    wrong = topics(imports) | {u for u in imports if u.startswith("exercises.") and u != "exercises.core"
                               and unit not in ("exercises",)}
    assert not wrong, f"{name} is a kernel module but imports {sorted(wrong)}: move what it needs into the kernel"


@pytest.mark.parametrize("name, unit, imports", [m for m in LIBRARY if m[1] not in KERNEL and not m[1].startswith("exercises.")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_topic_modules_import_only_the_kernel(name, unit, imports):
    others = topics(imports) - {unit}
    assert not others, (f"{name} is the topic module of one lesson but imports the topic module(s) {sorted(others)}: "
                        f"move what both lessons need into the kernel first")


@pytest.mark.parametrize("name, unit, imports", [m for m in LIBRARY if m[1].startswith("exercises.lesson")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_exercise_modules_use_the_kernel_and_their_own_topic(name, unit, imports):
    assert len(topics(imports)) <= 1, f"{name} imports several topic modules {sorted(topics(imports))}; use the kernel"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_import_the_kernel_and_their_own_topic_module(path):
    used = topics(imported_units(ast.parse(notebook_code(path)), "notebook"))
    assert len(used) <= 1, (f"{path.name} imports the topic modules {sorted(used)}; a notebook imports the kernel and its "
                            f"own lesson's topic module only — move the shared helper into the kernel")


def test_the_rules_see_a_violation():
    """The checker itself: a topic module importing another topic is caught, a kernel import is not."""
    tree = ast.parse("from .audio import fsdd_features\nfrom .training import fit\nfrom lessons_lib import text")
    assert imported_units(tree, "lessons_lib.factorization") == {"audio", "training", "text"}
    assert topics({"audio", "training", "text"}) == {"audio", "text"}


def test_the_readme_layout_names_every_module_once_on_its_side_of_the_rule():
    """The README's Layout lists each lessons_lib module exactly once, the kernel ones under the kernel heading and the
    topic ones under the topic heading (KERNEL above decides which is which)."""
    import re

    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("```")[1]
    kernel_part, topic_part = layout.split("the topic modules", 1)
    units = {unit for _, unit, _ in LIBRARY if not unit.startswith("exercises.")} | {"exercises"}

    def entries(text: str, unit: str) -> int:
        return len(re.findall(rf"(?<![\w./]){re.escape(unit)}(\.py|/)(?=\s|:|$)", text, re.M))

    for unit in sorted(units):
        kernel_count, topic_count = entries(kernel_part, unit), entries(topic_part, unit)
        assert kernel_count + topic_count == 1, f"README's Layout names {unit} {kernel_count + topic_count} times"
        side = "kernel" if unit in KERNEL else "topic"
        assert (kernel_count if side == "kernel" else topic_count) == 1, f"README lists {unit} outside the {side} part"
