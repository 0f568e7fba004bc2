"""Shared test fixtures: the offline data folder, an isolated cache, a lesson run in a fresh kernel, a loopback HTTP server."""
from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "mnist.npz").exists():
        pytest.skip("../shared/data is not beside the project")
    return SHARED_DATA


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """A fresh cache, no LESSONS_DATA_DIR and no network, whatever the environment says."""
    from lessons_lib import settings

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(settings, "DATA_DIR", None)
    monkeypatch.setattr(settings, "OFFLINE", True)
    return settings


def share_decoded_datasets(cache: Path, notebook: str) -> list[str]:
    """Link into ``cache`` the decoded copy of each slow-to-decode dataset that ``notebook`` loads from LESSONS_DATA_DIR
    (CIFAR-10's 60,000 JPEGs), kept in the suite's own cache (decoding it there first if no test did yet); returns
    their names. A lesson run on an otherwise empty cache then skips only that decoding, which nbval's run of the lesson
    tests. Never a trained model (an untrained run must not load one) nor a dataset with a sample (the browser's lessons
    must fall back on the samples); the loader checks the linked arrays' hashes as on every load."""
    import nbformat

    from lessons_lib import data, settings
    from lessons_lib.data.registry import REGISTRY

    source = "\n".join(cell.source for cell in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
                       if cell.cell_type == "code")
    shared = []
    for name, spec in REGISTRY.items():
        if (not spec.cache_decoded or spec.sample is not None or f'load_dataset("{name}")' not in source
                or settings.DATA_DIR is None or not (settings.DATA_DIR / spec.data_dir_file).exists()):
            continue
        if all((data.cache_folder(name) / remote.filename).exists() for remote in spec.remote):
            continue       # the suite's cache holds the download, which the loader prefers: it makes no decoded copy
        decoded = data.decoded_copy_path(spec)           # in the suite's cache, settings.CACHE_DIR
        if not (decoded.exists() and decoded.with_suffix(".json").exists()):
            data.load_dataset(name, verbose=False)       # decodes it into the suite's cache, once
        if not decoded.exists():
            continue
        (cache / "decoded").mkdir(parents=True, exist_ok=True)
        for file in (decoded, decoded.with_suffix(".json")):
            if not (cache / "decoded" / file.name).exists():
                (cache / "decoded" / file.name).symlink_to(file)
        shared.append(name)
    return shared


@pytest.fixture
def shared_decoded_datasets():
    """``share(cache, notebook)``: see ``share_decoded_datasets`` (a fixture, so that tests/browser can use it)."""
    return share_decoded_datasets


@pytest.fixture
def execute_lesson(tmp_path, monkeypatch):
    """``execute_lesson(name, allow_errors=False, **env)`` runs ``notebooks/<name>`` top to bottom in a fresh kernel, in
    quick mode, offline, with an empty cache (plus the environment variables given, e.g. ``LESSONS_DATA_DIR=""``);
    returns the executed notebook. Without ``allow_errors`` the first failing cell raises CellExecutionError. The
    cache is empty but for the decoded offline copies of slow-to-decode datasets (``share_decoded_datasets``)."""
    import os

    import nbformat
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[1]

    def execute(name: str, allow_errors: bool = False, **env: str):
        for key, value in {"LESSONS_QUICK": "1", "LESSONS_OFFLINE": "1",
                           "LESSONS_CACHE_DIR": str(tmp_path / "empty_cache"), **env}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
        if "LESSONS_DATA_DIR" not in env:               # the kernel reads the suite's data folder
            share_decoded_datasets(tmp_path / "empty_cache", name)
        notebook = nbformat.read(root / "notebooks" / name, as_version=4)
        NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                       resources={"metadata": {"path": str(root / "notebooks")}}).execute()
        return notebook

    return execute


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    hits: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        bodies = self.routes.get(self.path)
        if bodies is None:
            self.send_error(404)
            return
        count = self.hits.get(self.path, 0)
        self.hits[self.path] = count + 1
        body = bodies[min(count, len(bodies) - 1)]  # serve the bodies in turn, then repeat the last
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A server on 127.0.0.1: ``server.serve(path, body1, body2, ...)`` returns the URL; each GET gets the next body."""
    handler = type("Handler", (_Handler,), {"routes": {}, "hits": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, *bodies: bytes) -> str:
        handler.routes[path] = list(bodies)
        return f"http://127.0.0.1:{server.server_port}{path}"

    server.serve = serve
    server.hits = handler.hits
    yield server
    server.shutdown()
    server.server_close()


# The browser tests' time (tests/browser), printed at the end of the run. These hooks run in the process that
# prints the summary, so under xdist they see the reports of every worker.
_browser_reports: list = []


def pytest_runtest_logreport(report):
    if report.nodeid.replace("\\", "/").startswith("tests/browser/"):
        _browser_reports.append(report)


def pytest_terminal_summary(terminalreporter):
    if not _browser_reports:
        return
    ran = sum(r.when == "call" and not r.skipped for r in _browser_reports)
    skipped = sum(r.skipped for r in _browser_reports)
    span = max(r.stop for r in _browser_reports) - min(r.start for r in _browser_reports)
    busy = sum(r.duration for r in _browser_reports)
    per_worker: dict[str, float] = {}
    for r in _browser_reports:
        worker = getattr(r, "worker_id", "this process")
        per_worker[worker] = per_worker.get(worker, 0.0) + r.duration
    workers = ", ".join(f"{w} {s:.0f} s" for w, s in sorted(per_worker.items()))
    # the suite starts its longest scopes first, so the browser tests are spread among the others: their own time
    # is the sum of their durations, not the span from the first to the last
    terminalreporter.write_sep("-", f"browser tests (tests/browser): {ran} ran, {skipped} skipped; {busy:.0f} s of "
                                    f"test time in all ({workers}), spread over {span:.0f} s among the other tests")
