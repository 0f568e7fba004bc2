"""Lesson 01 in a real browser: run it in JupyterLab, then use the convolution explorer as a learner
does — drag its sliders with the mouse and step them with the keyboard — and check that the numbers
it shows are ``describe_conv``'s for the new settings and that the picture is redrawn.
"""
from __future__ import annotations

import re

import pytest
from lab_driver import WIDGET_TIMEOUT_S, wait_until

from lessons_lib.widgets import describe_conv

NOTEBOOK = "01_filter_depth.ipynb"
pytestmark = pytest.mark.runs_notebook(NOTEBOOK, browser=True)
START = dict(size=7, channels=3, kernel=3, stride=2, padding=1, filters=4)  # the call in the notebook
LABELS = {"size": "input size", "channels": "channels", "kernel": "kernel", "stride": "stride",
          "padding": "padding", "filters": "filters"}


class Explorer:
    """The conv explorer as the page shows it."""

    def __init__(self, page, root):
        self.page, self.root = page, root

    def slider(self, name: str):
        label = self.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(LABELS.get(name, name))}$"))
        return self.root.locator(".widget-slider").filter(has=label).first

    def settings(self) -> dict:
        """The sliders' readouts, {"size": 7, ...} (-1 for a readout that is not a number)."""
        shown = self.root.evaluate("""(root) => Object.fromEntries(Array.from(root.querySelectorAll('.widget-slider'))
          .map(s => [s.querySelector('.widget-label').textContent.trim(), s.querySelector('.widget-readout').textContent.trim()]))""")
        return {name: int(shown[label]) if shown.get(label, "").isdigit() else -1 for name, label in LABELS.items()}

    def table(self) -> dict:
        """The numbers beside the sliders, {"output shape": "(4, 4, 4)", ...}."""
        return self.root.evaluate("""(root) => Object.fromEntries(Array.from(root.querySelectorAll('.widget-html table tr'))
          .map(r => Array.from(r.querySelectorAll('td')).map(td => td.textContent.trim())).filter(c => c.length === 2))""")

    def picture(self) -> str:
        image = self.root.locator(".widget-output img, .jp-OutputArea-output img").first
        return image.get_attribute("src") or "" if image.count() else ""

    def drag(self, name: str, value: int) -> None:
        """Press the mouse on the slider's handle and drag it to ``value``'s place on the track."""
        slider = self.slider(name)
        handle = slider.locator(".noUi-handle")
        low, high = float(handle.get_attribute("aria-valuemin")), float(handle.get_attribute("aria-valuemax"))
        handle.scroll_into_view_if_needed()
        track = slider.locator(".noUi-base").bounding_box()
        box = handle.bounding_box()
        x0, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        x1 = track["x"] + (value - low) / (high - low) * track["width"]
        self.page.mouse.move(x0, y)
        self.page.mouse.down()
        self.page.mouse.move(x1, y, steps=12)
        self.page.mouse.up()

    def press(self, name: str, key: str, times: int = 1) -> None:
        """Focus the slider's handle (as Tab would) and press ``key`` (ArrowRight, ArrowLeft, …)."""
        handle = self.slider(name).locator(".noUi-handle")
        handle.focus()
        for _ in range(times):
            self.page.keyboard.press(key)


def expect_shown(explorer: Explorer, settings: dict, picture_before: str) -> str:
    """The sliders read ``settings``; the table shows describe_conv(**settings); the picture was redrawn."""
    wait_until(lambda: explorer.settings() == settings, WIDGET_TIMEOUT_S,
               f"the sliders should read {settings}, they read {explorer.settings()}")
    expected = {k: str(v) for k, v in describe_conv(**settings).items()}

    def numbers_match():
        shown = explorer.table()
        return shown.get("output shape") == expected["output shape"] and \
            shown.get("parameters") == expected["parameters"] and shown
    shown = wait_until(numbers_match, WIDGET_TIMEOUT_S,
                       f"for {settings} describe_conv gives output shape {expected['output shape']} and "
                       f"{expected['parameters']} parameters; the explorer shows {explorer.table()}")
    assert {k: v for k, v in shown.items() if k in expected} == {k: expected[k] for k in shown if k in expected}, \
        f"the explorer's table differs from describe_conv({settings})"
    picture = wait_until(lambda: (src := explorer.picture()) and src != picture_before and src, WIDGET_TIMEOUT_S,
                         "the picture was not redrawn after the change")
    positions = int(expected["positions"])
    position_max = explorer.slider("position").locator(".noUi-handle").get_attribute("aria-valuemax")
    assert float(position_max) == positions - 1, f"the position slider should end at {positions - 1}, not {position_max}"
    return picture


def test_lesson01_runs_and_the_conv_explorer_follows_mouse_and_keyboard(open_notebook, steps, page):
    with steps("open lesson 01 in JupyterLab"):
        notebook = open_notebook(NOTEBOOK)
    with steps("run all cells"):
        notebook.run_all()
    with steps("no error output anywhere, every widget rendered; the shipped samples were used"):
        notebook.assert_no_errors()
        notebook.assert_used_the_shipped_sample()
    use_the_explorer(page, notebook.cell_with("conv_explorer("), steps)
    with steps("still no error output after the interactions"):
        notebook.assert_no_errors()


def use_the_explorer(page, cell, steps) -> None:
    """Drag and key the explorer's sliders in ``cell``; after each move check numbers and picture."""
    explorer = Explorer(page, cell.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider")).first)
    with steps("the conv explorer rendered with the notebook's settings", explorer.root):
        try:
            explorer.slider("stride").wait_for(state="visible", timeout=WIDGET_TIMEOUT_S * 1000)
        except Exception:  # noqa: BLE001
            raise AssertionError("the conv explorer did not render: no 'stride' slider in its cell's output") from None
        explorer.root.scroll_into_view_if_needed()
        picture = expect_shown(explorer, dict(START), "")

    settings = dict(START)
    moves = [  # (how, slider, new value or key, key presses)
        ("mouse", "stride", 1, None), ("mouse", "padding", 3, None),
        ("keyboard", "stride", "ArrowRight", 2), ("keyboard", "padding", "ArrowLeft", 1),
        ("keyboard", "filters", "ArrowRight", 1), ("mouse", "kernel", 5, None),
    ]
    parameters_seen = {describe_conv(**settings)["parameters"]}
    shapes_seen = {describe_conv(**settings)["output shape"]}
    for how, name, target, presses in moves:
        if how == "mouse":
            settings[name] = target
            label = f"drag {name} to {target} with the mouse"
        else:
            settings[name] += presses * (1 if target == "ArrowRight" else -1)
            label = f"press {target} ×{presses} on {name} (now {settings[name]})"
        with steps(label, explorer.root):
            if how == "mouse":
                explorer.drag(name, target)
            else:
                explorer.press(name, target, presses)
            picture = expect_shown(explorer, dict(settings), picture)
        parameters_seen.add(describe_conv(**settings)["parameters"])
        shapes_seen.add(describe_conv(**settings)["output shape"])
    # The moves really changed what is shown: five output shapes and three parameter counts.
    assert len(shapes_seen) >= 4 and len(parameters_seen) == 3, (shapes_seen, parameters_seen)
