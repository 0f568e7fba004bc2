"""The sandbox every graded execution runs in: bubblewrap (``bwrap``), a user of its own, limits, a hard kill.

``run_sandboxed(job_dir, …)`` runs ``python -m lessons_lib.homework.runner JOB_DIR`` — the notebook's executor and its
kernel together — inside ``bwrap`` with:

* a read-only view of the machine (``--ro-bind / /``), the grader's home and the course directory hidden (an empty
  tmpfs over each: the gradebook, ``nbgrader_config.py``, ``source/`` and other students' work are not there), a
  fresh ``/tmp``, and one writable place: the job folder, a scratch copy of this one submission;
* no network, no IPC, its own PID namespace (``--unshare-all``), ``--die-with-parent`` and ``--new-session``;
* an environment cleared of everything (``--clearenv``) but ``PATH``, ``HOME`` (the scratch folder), the
  ``LESSONS_*`` settings, the thread counts and a ``PYTHONPATH`` naming the **students' copy** of ``lessons_lib``
  (``students_copy.write_students_copy``: no solution, expected value or hidden test), bound read-only at
  ``/tmp/lessons-students-copy``; the grader's own copy is hidden (an empty tmpfs over its package folder, and over the
  whole clone when it is installed from one, its ``.git`` and tests included), so the submission cannot read it;
* run as root, a user id of its own per worker (``setpriv``, every capability dropped, no new privileges), so that
  the process limit counts that sandbox alone; as another user, an unprivileged user namespace;
* limits: address space of the kernel (``RLIMIT_AS``, set by the runner), CPU seconds, processes, file size;
* a wall-clock limit for the whole run, after which the sandbox's process group gets SIGKILL.

``bwrap`` missing is an error (``SandboxUnavailable``): grading without a sandbox needs the instructor's explicit
``unsandboxed=True`` (``--unsandboxed-i-trust-every-submission`` on the command line). Part of the instructors'
homework tooling (docs/instructors.md); not used by a lesson notebook.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import lessons_lib
from lessons_lib import settings

KEEP_ENV_PREFIXES = ("LESSONS_",)
KEEP_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LANG", "LC_ALL", "TZ")
BASE_UID = 61000
SCRATCH_IN_SANDBOX = "/tmp/submission"
STUDENTS_COPY_IN_SANDBOX = "/tmp/lessons-students-copy"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed (or does not work here): grading refuses to run the student's code unsandboxed."""


def bwrap_path() -> str | None:
    """The ``bwrap`` executable, or None."""
    return shutil.which("bwrap") or (("/usr/bin/bwrap") if Path("/usr/bin/bwrap").exists() else None)


def sandbox_works() -> tuple[bool, str]:
    """(True, '') when a trivial command runs in the sandbox here; else (False, why)."""
    path = bwrap_path()
    if not path:
        return False, "bwrap is not installed (apt-get install bubblewrap)"
    uid = BASE_UID if os.geteuid() == 0 else None          # the same way grading runs it
    result = subprocess.run(_bwrap_args(path, Path("/"), [], uid=uid, inner=["/bin/true"]), capture_output=True,
                            text=True, timeout=60)
    if result.returncode:
        return False, f"bwrap fails here: {result.stderr.strip()[-300:]}"
    return True, ""


def sandbox_env(home: str, students_copy: str) -> dict[str, str]:
    """The environment inside: nothing of the grader's but what a lesson needs; ``lessons_lib`` is the students' copy
    (the folder holding it, first on ``PYTHONPATH``)."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
           "PYTHONPATH": str(students_copy), "PYTHONDONTWRITEBYTECODE": "1",
           "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1"}
    for name, value in os.environ.items():
        if name.startswith(KEEP_ENV_PREFIXES) or name in KEEP_ENV:
            env[name] = value
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _needed_paths() -> list[Path]:
    """Folders the run must read even when they lie in a hidden home: Python, the venv, the data (not lessons_lib:
    the run imports the students' copy, bound on its own)."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    if settings.DATA_DIR is not None:                     # LESSONS_DATA_DIR, as settings read it (~ expanded)
        paths.add(settings.DATA_DIR.resolve())
    return sorted(p for p in paths if p.exists())


def instructors_copy_paths() -> list[Path]:
    """Where the grader's own copy of the course lies: its ``lessons_lib`` folder, and the clone it comes from (the
    folder above it, or an editable install's source) when that is a clone (it has a ``pyproject.toml``)."""
    package = Path(lessons_lib.__file__).resolve().parent
    paths = {package}
    roots = {package.parent}
    try:
        import json
        from importlib.metadata import PackageNotFoundError, distribution
        direct = distribution("lessons_lib").read_text("direct_url.json")
        url = json.loads(direct).get("url", "") if direct else ""
        if url.startswith("file://"):
            roots.add(Path(url.removeprefix("file://")).resolve())
    except (ImportError, PackageNotFoundError, ValueError, OSError):
        pass
    paths |= {root for root in roots if (root / "pyproject.toml").is_file() and (root / "lessons_lib").is_dir()}
    return sorted(paths)


def _hidden_paths(course_dir: Path | None) -> list[Path]:
    hidden = {Path.home().resolve(), *instructors_copy_paths()}
    if course_dir is not None:
        hidden.add(Path(course_dir).resolve())
    return sorted(hidden)


def _bwrap_args(path: str, job_dir: Path, hide: list[Path], uid: int | None, inner: list[str],
                env: dict[str, str] | None = None, students_copy: Path | None = None) -> list[str]:
    args = [path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
        args += ["--perms", "1777", "--tmpfs", scratch]
    needed = _needed_paths()
    for folder in hide:
        if folder == Path("/") or str(folder).startswith("/tmp/"):
            continue                        # /tmp is already empty inside
        args += ["--perms", "0755", "--tmpfs", str(folder)]
        for needed_path in needed:
            if folder in needed_path.parents:
                between = [p for p in reversed(needed_path.parents) if folder in p.parents]
                for step in between:                # bwrap would make them 0700: unreachable to the sandbox's user
                    args += ["--perms", "0755", "--dir", str(step)]
                args += ["--ro-bind", str(needed_path), str(needed_path)]
    for package in instructors_copy_paths():      # again, last: a venv bound above may hold it (a non-editable install)
        if package.name == "lessons_lib" and not str(package).startswith("/tmp/"):
            args += ["--perms", "0755", "--tmpfs", str(package)]
    if students_copy is not None:
        args += ["--ro-bind", str(students_copy), STUDENTS_COPY_IN_SANDBOX]
    if job_dir != Path("/"):
        args += ["--bind", str(job_dir), SCRATCH_IN_SANDBOX]
    # --unshare-all without its user namespace when root: setpriv needs the machine's real user ids
    unshare = ["--unshare-all"] if uid is None else ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                                                     "--unshare-cgroup-try"]
    args += unshare + ["--die-with-parent", "--new-session", "--clearenv"]
    for name, value in (env or {}).items():
        args += ["--setenv", name, value]
    if uid is not None:                     # we are root: a user of its own, every capability dropped
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--"]
    elif os.geteuid() != 0:
        args[1:1] = ["--unshare-user", "--cap-drop", "ALL"]
    return args + inner


def _limits(cpu_s: int, nproc: int, fsize: int):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_sandboxed(job_dir: Path, *, course_dir: Path | None, students_copy: Path | None = None, worker: int = 0,
                  wall_s: int = 1800, cpu_s: int = 3600, nproc: int = 256, fsize: int = 2 ** 30,
                  unsandboxed: bool = False) -> subprocess.CompletedProcess:
    """Run the grading runner on ``job_dir`` in the sandbox (see the module's docstring); returns the finished process.

    ``students_copy`` is the folder holding the students' copy of ``lessons_lib`` (``write_students_copy``), the only
    one the run may import. ``unsandboxed=True`` runs it as a plain child process (same clean environment and limits,
    but the student's code can read and write what the grader can, the instructor's copy included): only for code the
    instructor trusts.
    """
    job_dir = Path(job_dir).resolve()
    runner = [sys.executable, "-m", "lessons_lib.homework.runner"]
    if unsandboxed and students_copy is None:
        raise ValueError("students_copy: the folder of the students' copy of lessons_lib that the run imports "
                         "(lessons_lib.homework.students_copy.write_students_copy)")
    if unsandboxed:
        env = sandbox_env(str(job_dir), str(Path(students_copy).resolve()))
        command, cwd = runner + [str(job_dir)], job_dir
    else:
        path = bwrap_path()
        if not path:
            raise SandboxUnavailable("bwrap (Debian's bubblewrap) is not installed: `apt-get install bubblewrap`, or "
                                     "grade unsandboxed only if you trust every submission "
                                     "(--unsandboxed-i-trust-every-submission)")
        uid = BASE_UID + worker if os.geteuid() == 0 else None
        if uid is not None:
            os.chown(job_dir, uid, uid)
            for item in job_dir.rglob("*"):
                os.chown(item, uid, uid)
        if students_copy is None:
            raise ValueError("students_copy: the folder of the students' copy of lessons_lib that the run imports "
                             "(lessons_lib.homework.students_copy.write_students_copy)")
        env = sandbox_env(SCRATCH_IN_SANDBOX, STUDENTS_COPY_IN_SANDBOX)
        command = _bwrap_args(path, job_dir, _hidden_paths(course_dir), uid, runner + [SCRATCH_IN_SANDBOX], env,
                              students_copy=Path(students_copy).resolve())
        cwd = "/"
    process = subprocess.Popen(command, cwd=cwd, env=env if unsandboxed else {}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=_limits(cpu_s, nproc, fsize))
    try:
        out, _ = process.communicate(timeout=wall_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, out[-20000:].decode(errors="replace"), "")
