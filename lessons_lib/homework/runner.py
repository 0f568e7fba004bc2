"""The grading run of one submission, meant to run inside the sandbox (``lessons_lib.homework.sandbox``).

``python -m lessons_lib.homework.runner JOB_DIR`` reads ``JOB_DIR/job.json`` and ``JOB_DIR/submission.ipynb`` (the
student's answers in the instructor's cells), runs every cell with nbclient in a fresh kernel and writes
``executed.ipynb``, ``run.json`` (what happened to each cell) and one ``answers/<label>.json`` per graded question:
the value of the question's variable as plain data (``lessons_lib.homework.codec``), and for a function answer its
results on the inputs the grader chose (``calls.pkl``, written by the grader: the visible cases and the hidden ones).
Nothing here decides a grade: the grader checks those answers in its own process, with its own copy of the questions.

Per cell: a timeout (``timeout``), after which the kernel is killed (SIGKILL to its process group and, in the
sandbox, to every process there: no signal handler survives it), a new kernel re-runs the cells before it, and grading
goes on with the next cell; a kernel that dies (``os._exit``, a segfault) is handled the same way. Output is capped
in bytes per cell (``output_bytes``): the rest is dropped with a note. Part of the instructors' homework tooling
(docs/instructors.md), run as the notebook's grading kernel's parent, never in a lesson notebook.
"""
from __future__ import annotations

import copy
import json
import os
import pickle
import signal
import sys
from pathlib import Path

PLACEHOLDER = "____"


def export_answer(namespace: dict, spec: dict, calls_path: str, out_path: str) -> None:
    """Write one graded question's answer as plain data (called in the student's kernel, after the last cell)."""
    import contextlib
    import io

    from lessons_lib.homework import codec

    var = spec["var"]
    record: dict = {"label": spec["label"]}
    value = namespace.get(var, None)
    placeholder = namespace.get(PLACEHOLDER, object())
    if var not in namespace:
        record["status"] = "missing"
    elif value is placeholder or PLACEHOLDER in getattr(getattr(value, "__code__", None), "co_names", ()):
        record["status"] = "placeholder"
    elif spec["kind"] == "function" and callable(value):
        with open(calls_path, "rb") as handle:
            calls = pickle.load(handle)[spec["label"]]     # the grader's inputs: trusted data
        results = []
        for args in calls:
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    got = value(*copy.deepcopy(args))
                results.append({"ok": codec.encode(got)})
            except BaseException as error:      # the student's function failing on an input: its result
                results.append({"error": f"{type(error).__name__}: {error}"[:500]})
        record.update(status="function", results=results)
    else:
        record.update(status="value", value=codec.encode(value))
    record["needs"] = {name: codec.encode(namespace[name]) for name in spec.get("needs", ())
                       if type(namespace.get(name)) in (int, float, str, bool)}
    with open(out_path, "w") as handle:
        json.dump(record, handle)


def _client_class():
    from nbclient import NotebookClient

    class BoundedClient(NotebookClient):
        """nbclient's client, with each cell's output capped in bytes."""

        output_bytes = 1_000_000

        def output(self, outs, msg, display_id, cell_index):
            used = self._bytes_used.get(cell_index, 0)
            if used > self.output_bytes:
                return None
            content = msg.get("content", {})
            size = len(content["text"].encode()) if "text" in content else len(json.dumps(content.get("data", {})))
            if used + size > self.output_bytes:
                self._bytes_used[cell_index] = self.output_bytes + 1
                if "text" in content:
                    room = max(0, self.output_bytes - used)
                    msg = copy.copy(msg)
                    msg["content"] = dict(content, text=content["text"].encode()[:room].decode(errors="ignore"))
                    super().output(outs, msg, display_id, cell_index)
                from nbformat.v4 import new_output
                outs.append(new_output("stream", name="stderr", text=(
                    f"\n[grading: output cut here — this cell wrote more than {self.output_bytes:,} bytes]\n")))
                return None
            self._bytes_used[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)

    return BoundedClient


def _error_output(ename: str, evalue: str):
    from nbformat.v4 import new_output
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _kill_everything_else(sandboxed: bool) -> None:
    """In the sandbox (own PID namespace, own user), SIGKILL every process but this one: a student's children too."""
    if sandboxed:
        try:
            os.kill(-1, signal.SIGKILL)     # Linux: every process we may signal, except ourselves and init
        except ProcessLookupError:
            pass


def run(job_dir: Path) -> dict:
    """Run the submission in ``job_dir`` (see the module's docstring); returns what it writes to ``run.json``."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    job_dir = Path(job_dir)
    job = json.loads((job_dir / "job.json").read_text())
    notebook = nbformat.read(job_dir / "submission.ipynb", as_version=4)
    n_cells = len(notebook.cells)
    answers = job_dir / "answers"
    answers.mkdir(exist_ok=True)
    exports = [nbformat.v4.new_code_cell(
        "__import__('lessons_lib.homework.runner', fromlist=['export_answer']).export_answer(globals(), "
        f"{spec!r}, {str(job_dir / 'calls.pkl')!r}, {str(answers / (spec['label'] + '.json'))!r})")
        for spec in job["exports"]]
    cells = list(notebook.cells) + exports
    work = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
    memory = int(job["memory_bytes"])
    extra = ["--HistoryManager.hist_file=:memory:",
             "--IPKernelApp.exec_lines=__import__('resource').setrlimit(__import__('resource').RLIMIT_AS, "
             f"({memory}, {memory}))"]
    Client = _client_class()
    status: dict[int, str] = {}
    skip: set[int] = set()
    restarts = 0
    index = 0
    while index < len(cells):
        client = Client(work, timeout=int(job["timeout"]), interrupt_on_timeout=False, allow_errors=True,
                        kernel_name="python3", shutdown_kernel="immediate", iopub_timeout=10, startup_timeout=120,
                        extra_arguments=extra, resources={"metadata": {"path": str(job_dir)}})
        client.output_bytes = int(job["output_bytes"])
        client._bytes_used = {}
        try:
            with client.setup_kernel():
                for earlier in range(index):            # after a restart: the cells before, again, silently
                    if earlier in skip or cells[earlier].cell_type != "code":
                        continue
                    try:
                        client.execute_cell(copy.deepcopy(cells[earlier]), earlier)
                    except (CellTimeoutError, DeadKernelError):
                        skip.add(earlier)
                        raise
                while index < len(cells):
                    cell = cells[index]
                    if cell.cell_type != "code":
                        index += 1
                        continue
                    try:
                        client.execute_cell(cell, index)
                    except CellTimeoutError:
                        status[index], what = "timeout", (f"this cell ran past the {job['timeout']} s limit: it was "
                                                          "stopped (its kernel killed and restarted)")
                        cell.outputs.append(_error_output("CellTimeoutError", what))
                        skip.add(index)
                        index += 1
                        break
                    except DeadKernelError:
                        status[index] = "died"
                        cell.outputs.append(_error_output("DeadKernelError", "the kernel died while running this "
                                                          "cell; it was restarted for the cells after it"))
                        skip.add(index)
                        index += 1
                        break
                    status[index] = "error" if any(o.get("output_type") == "error" for o in cell.outputs) else "ok"
                    index += 1
        except (CellTimeoutError, DeadKernelError):
            pass                                          # a cell that passed once failed on its re-run: skipped
        finally:
            _kill_everything_else(bool(job.get("sandboxed")))
        restarts += 1
        if restarts > int(job.get("max_restarts", 10)):
            for rest in range(index, len(cells)):
                status[rest] = "not run"
            break
    notebook.cells = cells[:n_cells]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
    nbformat.write(notebook, job_dir / "executed.ipynb")
    result = {"cells": {str(k): v for k, v in status.items() if k < n_cells},
              "exports": {spec["label"]: status.get(n_cells + i, "not run") for i, spec in enumerate(job["exports"])},
              "restarts": restarts - 1}
    (job_dir / "run.json").write_text(json.dumps(result))
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m lessons_lib.homework.runner JOB_DIR``."""
    argv = sys.argv[1:] if argv is None else argv
    run(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
