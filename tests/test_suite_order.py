"""The suite runs its longest scopes first (../conftest.py), so that under ``pytest -n 2 --dist loadscope`` the two
workers finish together instead of one waiting on the other's last long notebook."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def root_conftest(config):
    return next(plugin for plugin in config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", None) == str(ROOT / "conftest.py"))


def test_the_scopes_run_longest_first_each_in_one_piece(request):
    order = root_conftest(request.config)
    scopes: dict[str, list] = {}
    for item in request.session.items:
        scopes.setdefault(order.scope_of(item.nodeid), []).append(item)
    positions = [[request.session.items.index(item) for item in items] for items in scopes.values()]
    assert all(p == list(range(p[0], p[0] + len(p))) for p in positions), "a scope's tests are not together"
    seconds = [order.expected_seconds(items) for items in scopes.values()]
    assert seconds == sorted(seconds, reverse=True)
    longest = ["tests/test_nbgrader_pipeline.py"] + [scope for scope in scopes if "TestNotebook_06" in scope]
    if all(scope in scopes for scope in longest) and len(longest) == 2:     # collected (a subset may leave them out)
        assert set(longest) <= set(list(scopes)[:3]), list(scopes)[:3]      # lessons in the browser and nbgrader start


def test_a_scope_is_timed_by_its_declaration_or_its_notebook(request):
    order = root_conftest(request.config)
    quick = order.quick_seconds("06_gan.ipynb")
    assert quick > order.quick_seconds("00_start_here.ipynb") > 0
    assert order.quick_seconds("99_not_a_lesson.ipynb") == 30.0
    assert order.scope_of("notebooks/06_gan.ipynb::Cell 3") == "notebooks/06_gan.ipynb"
    assert order.scope_of("tests/x.py::TestA::test_b") == "tests/x.py::TestA"
    assert order.scope_of("tests/x.py::t") == "tests/x.py"
    assert "--no-loadscope-reorder" in (ROOT / "pyproject.toml").read_text(), "xdist would reorder the scopes itself"
