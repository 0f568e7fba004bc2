"""Driving JupyterLab in Chromium for the browser tests: the server, named steps with screenshots,
and a notebook opened, run and checked in a page. The fixtures that use these live in conftest.py.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = os.environ.get("LESSONS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("LESSONS_SCREENSHOT_DIR", ROOT / "browser-screenshots"))
# The flags that work on this project's machines (no GPU, no network but loopback, running as root).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SERVER_START_TIMEOUT_S = 120
PAGE_TIMEOUT_MS = 120_000          # load JupyterLab, open a notebook, start its kernel
RUN_ALL_TIMEOUT_S = 420            # one notebook, quick mode, on a busy 2-core machine (they take about 1 min)
WIDGET_TIMEOUT_S = 60              # a widget renders / reacts (a kernel round trip and a redraw)


def skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        why = os.environ.get("LESSONS_CHROMIUM_MISSING", "")
        return (f"browser tests need Chromium at {CHROMIUM}; it is not there"
                + (f" ({why})" if why else "") + ". Install Debian's: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the Python package playwright: pip install -e '.[dev]' (no `playwright install`)"
    return None


def notebook_paths() -> list[Path]:
    """Every notebook in notebooks/ (lessons and appendices such as A1_…), found when the tests are collected,
    so new ones are picked up; names starting with "_" or "." (scratch copies) are left out."""
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith(("_", ".")))


def sampled_datasets(path: Path) -> list[str]:
    """The datasets the notebook at ``path`` loads (``load_dataset("name")``) that have a sample the course ships or
    makes (MNIST's digits, gensim's test corpora for text8): offline with an empty cache and no copy in the data
    folder, the notebook runs on those samples."""
    import nbformat
    from lessons_lib.data.registry import REGISTRY

    source = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    return [name for name, spec in REGISTRY.items() if spec.sample and f'load_dataset("{name}")' in source]


def data_files_with_a_sample() -> set[str]:
    """The files in a data folder (LESSONS_DATA_DIR) of the datasets that have a sample."""
    from lessons_lib.data.registry import REGISTRY

    return {spec.data_dir_file for spec in REGISTRY.values() if spec.sample}


def assert_said_it_used_the_samples(name: str, datasets: list[str], printed: str) -> None:
    """Each dataset came from its sample, and the lesson told the learner (in its own words, "shipped sample", or by
    printing the loader's note on that sample)."""
    from lessons_lib.data.registry import REGISTRY

    for dataset in datasets:
        assert f"{dataset}: from sample" in printed, f"{name} did not load {dataset}'s sample:\n{printed[:1000]}"
        note = REGISTRY[dataset].notes.get("sample", "")
        assert "shipped sample" in printed.lower() or (note and note in printed), \
            f"{name} does not tell the learner that its {dataset} results come from a sample"


# ----------------------------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(method: str, url: str, timeout: float = 5.0):
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


class JupyterLab:
    """A running JupyterLab server: ``base`` URL, the ``workspace`` it serves and its ``log``."""

    def __init__(self, root: Path):
        self.root = root
        self.workspace = root / "course"
        self.log = root / "jupyterlab.log"
        self.cache = root / "empty-cache"     # LESSONS_CACHE_DIR of its kernels
        self.data_dir: Path | None = None     # their LESSONS_DATA_DIR (none if the suite has none)
        self.process: subprocess.Popen | None = None
        self.base = ""

    def _prepare(self) -> dict:
        shutil.copytree(NOTEBOOKS, self.workspace / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        settings = self.root / "lab-settings"
        for plugin, values in {
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        }.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTEST_"))}
        env.pop("MPLBACKEND", None)  # the learner's default: figures inline in JupyterLab
        # An offline learner with an empty cache whose data folder lacks MNIST and text8: those come from the samples
        # the course ships or makes, the datasets without a sample from the data folder (nbval runs every lesson on
        # the whole folder; see tests/test_notebooks_on_sample.py). The cache gets decoded CIFAR-10 only (conftest.py).
        if env.get("LESSONS_DATA_DIR"):
            self.data_dir = self._data_folder_without_samples(Path(env["LESSONS_DATA_DIR"]))
            env["LESSONS_DATA_DIR"] = str(self.data_dir)
        env.update(
            LESSONS_CACHE_DIR=str(self.cache),
            LESSONS_QUICK="1", LESSONS_OFFLINE=os.environ.get("LESSONS_OFFLINE", "1"),
            OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.root / "lab-workspaces"),
            JUPYTER_CONFIG_DIR=str(self.root / "jupyter-config"),
            JUPYTER_DATA_DIR=str(self.root / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(self.root / "jupyter-runtime"),
            IPYTHONDIR=str(self.root / "ipython"),
        )
        # The kernels import lessons_lib from this checkout, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return env

    def _data_folder_without_samples(self, data_dir: Path) -> Path:
        """A folder of links to every file in ``data_dir`` but those of the datasets with a sample (MNIST, text8)."""
        folder = self.root / "data-without-sampled-datasets"
        folder.mkdir(exist_ok=True)
        skip = data_files_with_a_sample()
        for entry in data_dir.iterdir():
            if entry.name not in skip and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry.resolve())
        return folder

    def start(self) -> None:
        env = self._prepare()
        for attempt in range(3):  # a free port can be taken by someone else before the server binds it
            port = _free_port()
            self.base = f"http://127.0.0.1:{port}"
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                     "--port-retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
                     "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True",
                     "--allow-root", f"--ServerApp.root_dir={self.workspace}"],
                    cwd=self.workspace, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)  # its own process group: stop() takes its kernels too
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    _http("GET", f"{self.base}/api/status", timeout=2)
                    return
                except (OSError, ValueError):
                    time.sleep(0.5)
            code = self.process.poll()
            self.stop()
            if code is None:
                raise RuntimeError(f"JupyterLab did not answer on {self.base} within {SERVER_START_TIMEOUT_S} s. "
                                   f"Its log ({self.log}) ends:\n{self.log_tail()}")
            if "already in use" not in self.log_tail() or attempt == 2:
                raise RuntimeError(f"JupyterLab exited with code {code} before answering on {self.base}. "
                                   f"Its log ({self.log}) ends:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kernels(self) -> list[dict]:
        return _http("GET", f"{self.base}/api/kernels")

    def shutdown_kernels(self) -> None:
        """Shut down every session and kernel (the next notebook then has the CPU to itself)."""
        try:
            for session in _http("GET", f"{self.base}/api/sessions"):
                _http("DELETE", f"{self.base}/api/sessions/{session['id']}", timeout=30)
            for kernel in self.kernels():
                _http("DELETE", f"{self.base}/api/kernels/{kernel['id']}", timeout=30)
        except (OSError, ValueError):
            pass  # the server is gone: nothing left to shut down

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # kernels that outlived the server, or a server that hung
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


# ------------------------------------------------------------------------------------------ steps
class Steps:
    """Named steps of a browser test, each followed by a screenshot; a failing step says which it was."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{self.name}--*.png"):
            old.unlink()

    def screenshot(self, label: str, target=None) -> Path:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower()[:60]
        path = SCREENSHOTS / f"{self.name}--{self.count:02d}-{slug}.png"
        try:
            if target is not None and target.count():
                target.first.screenshot(path=str(path), timeout=15_000)
            else:
                self.page.screenshot(path=str(path), timeout=15_000)
        except Exception:  # noqa: BLE001 (a widget gone from the page: take the whole page instead)
            try:
                self.page.screenshot(path=str(path), timeout=15_000)
            except Exception:  # noqa: BLE001
                return Path("(no screenshot: the page is gone)")
        return path

    @contextmanager
    def __call__(self, label: str, target=None):
        """``with steps("what this step does", locator_to_photograph):``"""
        self.count += 1
        try:
            yield
        except Exception as error:  # noqa: BLE001
            shot = self.screenshot(label + " FAILED", target)
            extra = ""
            if self.page.lbl_errors:
                extra = "\nJavaScript errors in the page: " + " | ".join(self.page.lbl_errors[-3:])
            raise AssertionError(f"browser step {self.count} '{label}' failed: {error}\n"
                                 f"screenshot: {shot}{extra}") from error
        self.screenshot(label, target)


# ---------------------------------------------------------------------------- notebooks in the page
_FIND_PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
  }
  return null;
}"""

_KERNEL_READY = """(path) => {
  const find = %s;
  const panel = find(path);
  if (!panel || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}""" % _FIND_PANEL

_START_RUN_ALL = """(path) => {
  const find = %s;
  const panel = find(path);
  window.jupyterapp.shell.activateById(panel.id);
  window.__lblRun = {done: false};
  window.jupyterapp.commands.execute('notebook:run-all-cells')
    .then(ok => { window.__lblRun = {done: true, ok: ok}; },
          err => { window.__lblRun = {done: true, ok: false, error: String(err)}; });
}""" % _FIND_PANEL

_RUNNING_CELL = """(path) => {
  const find = %s;
  const panel = find(path);
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const prompt = cells[i].node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) {
      return {index: i, source: cells[i].model.sharedModel.getSource().split('\\n').slice(0, 2).join(' / ')};
    }
  }
  return null;
}""" % _FIND_PANEL

_PRINTED = """(path) => {
  const find = %s;
  const parts = [];
  for (const cell of find(path).content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'stream') parts.push(Array.isArray(out.text) ? out.text.join('') : String(out.text));
    }
  }
  return parts.join('\\n');
}""" % _FIND_PANEL

# Every error a learner would see: error outputs, tracebacks on stderr, widgets that fail to render.
_ERRORS = """(path) => {
  const find = %s;
  const panel = find(path);
  const found = [];
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell.model.type !== 'code') continue;
    const outputs = cell.model.outputs.toJSON();
    for (const out of outputs) {
      if (out.output_type === 'error') {
        found.push(`cell ${i}: ${out.ename}: ${String(out.evalue).slice(0, 300)}`);
      } else if (out.output_type === 'stream' && out.name === 'stderr') {
        const text = Array.isArray(out.text) ? out.text.join('') : String(out.text);
        if (text.includes('Traceback (most recent call last)')) found.push(`cell ${i}: traceback on stderr: ${text.slice(-300)}`);
      }
    }
    for (const node of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const text = node.textContent || '';
      for (const sign of ['Error displaying widget', 'Failed to load model class', 'Javascript Error',
                          'Could not render', 'Failed to create view']) {
        if (text.includes(sign)) found.push(`cell ${i}: "${text.trim().slice(0, 300)}"`);
      }
    }
  }
  return found;
}""" % _FIND_PANEL

_LOADING_WIDGETS = """(path) => {
  const find = %s;
  const panel = find(path);
  const stuck = [];
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    for (const node of cells[i].node.querySelectorAll('.jp-OutputArea-output')) {
      if ((node.textContent || '').trim().startsWith('Loading widget')) stuck.push(i);
    }
  }
  return stuck;
}""" % _FIND_PANEL


def wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.25):
    """Poll ``condition()`` until it returns something truthy; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (waited {timeout_s:.0f} s)")
        time.sleep(interval_s)


class Notebook:
    """One notebook opened in JupyterLab in ``page``."""

    def __init__(self, page, lab: JupyterLab, name: str):
        self.page, self.lab, self.name = page, lab, name
        self.path = f"notebooks/{name}"

    def open(self) -> "Notebook":
        page = self.page
        response = page.goto(f"{self.lab.base}/lab/tree/{self.path}?reset", wait_until="domcontentloaded")
        if response is None or not response.ok:
            raise AssertionError(f"JupyterLab answered {response and response.status} for {self.path}; "
                                 f"server log ends:\n{self.lab.log_tail()}")
        try:
            page.wait_for_function("window.jupyterapp !== undefined", timeout=PAGE_TIMEOUT_MS)
            page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")
            page.wait_for_function(_FIND_PANEL.replace("return w;", "return w.content.widgets.length > 0;"),
                                   arg=self.path, timeout=PAGE_TIMEOUT_MS)
        except Exception as error:  # noqa: BLE001
            raise AssertionError(f"JupyterLab did not open {self.path}: {error}") from None
        try:
            page.wait_for_function(_KERNEL_READY, arg=self.path, timeout=PAGE_TIMEOUT_MS, polling=500)
        except Exception:  # noqa: BLE001
            raise AssertionError(f"the kernel for {self.path} did not start and become idle within "
                                 f"{PAGE_TIMEOUT_MS // 1000} s; server log ends:\n{self.lab.log_tail()}") from None
        return self

    def run_all(self, timeout_s: float = RUN_ALL_TIMEOUT_S) -> float:
        """Run all cells (Run ▸ Run All Cells) and wait until the last has finished; returns seconds."""
        start = time.monotonic()
        self.page.evaluate(_START_RUN_ALL, self.path)
        try:
            self.page.wait_for_function("window.__lblRun && window.__lblRun.done", timeout=timeout_s * 1000,
                                        polling=1000)
        except Exception:  # noqa: BLE001
            running = self.page.evaluate(_RUNNING_CELL, self.path)
            where = f"cell {running['index']} ({running['source']!r}) was still running" if running else "?"
            raise AssertionError(f"{self.name} did not finish running within {timeout_s:.0f} s: {where}") from None
        return time.monotonic() - start

    def errors(self) -> list[str]:
        return self.page.evaluate(_ERRORS, self.path)

    def assert_no_errors(self) -> None:
        """No error output anywhere, and every widget rendered (none stuck at "Loading widget...")."""
        errors = self.errors()
        assert not errors, f"{self.name} shows {len(errors)} error output(s) in JupyterLab:\n" + "\n".join(errors[:5])
        try:
            wait_until(lambda: not self.page.evaluate(_LOADING_WIDGETS, self.path), WIDGET_TIMEOUT_S,
                       "widgets did not render")
        except AssertionError:
            stuck = self.page.evaluate(_LOADING_WIDGETS, self.path)
            raise AssertionError(f"{self.name}: the widget(s) in cell(s) {stuck} did not render in JupyterLab "
                                 f"(still 'Loading widget...' after {WIDGET_TIMEOUT_S} s)") from None
        errors = self.errors()  # a widget that rendered into an error message
        assert not errors, f"{self.name} shows {len(errors)} error output(s) in JupyterLab:\n" + "\n".join(errors[:5])
        assert not self.page.lbl_errors, f"{self.name}: JavaScript errors in the page: {self.page.lbl_errors[:3]}"

    def printed_text(self) -> str:
        """Everything the notebook's cells printed (their stdout and stderr streams), in order."""
        return self.page.evaluate(_PRINTED, self.path)

    def assert_used_the_shipped_sample(self) -> None:
        """A lesson that loads MNIST or text8 got the sample (the server's data folder lacks them and its cache is
        empty) and told the learner so."""
        datasets = sampled_datasets(NOTEBOOKS / self.name)
        if datasets:
            assert_said_it_used_the_samples(self.name, datasets, self.printed_text())

    def cell_with(self, code_fragment: str):
        """The locator of the (first) code cell whose source contains ``code_fragment``."""
        index = self.page.evaluate(
            """([path, fragment]) => {
              const find = %s;
              const cells = find(path).content.widgets;
              for (let i = 0; i < cells.length; i++) {
                if (cells[i].model.type === 'code' && cells[i].model.sharedModel.getSource().includes(fragment)) {
                  cells[i].node.setAttribute('data-lbl-cell', String(i));
                  return i;
                }
              }
              return -1;
            }""" % _FIND_PANEL, [self.path, code_fragment])
        if index < 0:
            raise AssertionError(f"{self.name} has no code cell containing {code_fragment!r}")
        return self.page.locator(f".jp-Cell[data-lbl-cell='{index}']")
