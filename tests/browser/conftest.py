"""Fixtures for the tests that use the lessons in a real browser: JupyterLab driven by Chromium.

The tests here are part of the ordinary ``pytest`` run. They skip, saying why, only where Debian's
Chromium (``/usr/bin/chromium``, or ``LESSONS_CHROMIUM``) or the Python package ``playwright`` is
missing; ``.ci/run`` installs Chromium with apt-get (no ``playwright install``: Playwright drives
the system's Chromium through ``executable_path``).

* ``jupyterlab`` (one per pytest process, so one per xdist worker): a JupyterLab server on
  127.0.0.1 at a free port, no token, in quick mode and offline, serving a *copy* of the course in a
  temporary folder (autosave never writes outputs into the repository), with the news pop-up off
  and its own settings, workspaces, runtime and data folders. It is stopped at the end whatever
  happens (its whole process group: the kernels go with it).
* ``browser``: one headless Chromium per pytest process.
* ``page``: a fresh browser context and page per test; at the end its kernels are shut down, so a
  worker never runs more than one notebook at a time.
* ``steps``: ``with steps("move the stride slider", widget):`` names a step; after it, a screenshot
  of the widget (or the page) goes to ``browser-screenshots/`` (git-ignored; ``LESSONS_SCREENSHOT_DIR``
  moves it); when the step fails the test fails with the step's name and its screenshot's path.

At the end of the run the time the browser tests took is printed (tests/conftest.py's summary hook
reads the reports of the tests in this folder, on every xdist worker).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lab_driver import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, JupyterLab, Notebook, Steps, skip_reason


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """One JupyterLab server per pytest process (each xdist worker has its own), stopped at the end."""
    lab = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Error as error:
            raise RuntimeError(f"Chromium ({CHROMIUM}) did not start under Playwright: {error}") from None
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, jupyterlab):
    """A new page (1400×1000) on the test's own browser context; its kernels are shut down afterwards."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.lbl_errors = []  # uncaught errors in the page's JavaScript (a widget's, say)
    page.on("pageerror", lambda error: page.lbl_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
        jupyterlab.shutdown_kernels()


@pytest.fixture
def steps(page, request):
    cls = request.node.cls
    return Steps(page, f"{cls.__name__}.{request.node.name}" if cls else request.node.name)


@pytest.fixture
def open_notebook(page, jupyterlab, shared_decoded_datasets):
    """``open_notebook("01_filter_depth.ipynb")`` opens it in JupyterLab (kernel started, idle). The server's cache
    stays empty but for the decoded copies of slow-to-decode datasets (CIFAR-10's JPEGs; see tests/conftest.py)."""
    def open_it(name: str) -> Notebook:
        if jupyterlab.data_dir:
            shared_decoded_datasets(jupyterlab.cache, name)
        return Notebook(page, jupyterlab, name).open()

    return open_it

