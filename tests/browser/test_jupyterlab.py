"""Opt-in end-to-end check in a real browser: JupyterLab runs a notebook and renders its widgets.

Run with  LESSONS_BROWSER_TESTS=1 .venv/bin/python -m pytest tests/browser -p no:xdist
Needs Debian's chromium (/usr/bin/chromium) and `pip install playwright` (no `playwright install`).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    os.environ.get("LESSONS_BROWSER_TESTS") != "1" or not Path(CHROMIUM).exists(),
    reason="browser tests are opt-in (LESSONS_BROWSER_TESTS=1) and need /usr/bin/chromium",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    settings_dir = tmp_path_factory.mktemp("lab-settings")
    notification = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false"}')  # no news pop-up over the page
    workspace = tmp_path_factory.mktemp("course")  # a copy, so autosave never writes outputs into the repo
    shutil.copytree(ROOT / "notebooks", workspace / "notebooks")
    port = free_port()
    env = dict(os.environ, LESSONS_QUICK="1", JUPYTERLAB_SETTINGS_DIR=str(settings_dir))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", "--LabApp.expose_app_in_browser=True", "--allow-root"],
        cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {server.returncode}")
            time.sleep(0.5)
    yield base
    server.terminate()
    server.wait(timeout=30)


def run_notebook(page, base: str, notebook: str, timeout_s: int = 600) -> None:
    page.goto(f"{base}/lab/tree/notebooks/{notebook}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_function("document.querySelector('.jp-Notebook-ExecutionIndicator') !== null "
                           "|| document.querySelector('.jp-KernelStatus') !== null", timeout=120_000)
    time.sleep(3)  # let the kernel start
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        pending = page.evaluate("Array.from(document.querySelectorAll('.jp-InputPrompt')).filter(e => e.textContent.includes('[*]')).length")
        done = page.evaluate("Array.from(document.querySelectorAll('.jp-InputPrompt')).filter(e => /\\[\\d+\\]/.test(e.textContent)).length")
        if pending == 0 and done > 0:
            return
        time.sleep(2)
    raise AssertionError(f"{notebook} did not finish within {timeout_s} s")


def test_lesson01_runs_and_the_conv_explorer_renders(jupyterlab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        run_notebook(page, jupyterlab, "01_filter_depth.ipynb")
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        tracebacks = [e for e in errors if "Traceback" in e or "Error" in e.split("\n")[0]]
        assert not tracebacks, tracebacks[:1]
        sliders = page.locator(".widget-slider, .jupyter-widget-slider, .widget-hslider")
        assert sliders.count() >= 5, "the explorer's sliders did not render"
        sliders.first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(os.environ.get("LESSONS_SCREENSHOT_DIR", tmp_path)) / "conv_explorer.png"))
        browser.close()
