"""A lesson's training step under a CPU quota, at the thread count ``start_lesson`` chooses and at PyTorch's
default, side by side (prints a table; asserts nothing, saves nothing).

    python benchmarks/cpu_quota_threads.py [--quotas 0.5 1 1.5] [--steps 12]

Binder and classroom JupyterHubs give a kernel one or two CPUs of a many-core node through a cgroup quota, while
PyTorch sizes its thread pool from the cores it sees. For each quota this script starts one fresh process per thread
count that trains lesson 07/08's fast MNIST net (batch 128; forward, backward, Adam) for ``--steps`` steps:

* **real quota** (where this process may create a cgroup: root on a cgroup v1 or v2 host, as in these containers):
  the child moves itself into a new cgroup with that quota (``cpu.cfs_quota_us`` or ``cpu.max``) before it imports
  PyTorch, and ``settings.cpu_threads()`` reads the real ``/proc/self/cgroup`` and quota files;
* **simulated** (elsewhere): ``settings.cpu_threads`` reads a test double of the cgroup files with that quota, and
  the steps run unthrottled (the table says so: the chosen count is right, the times are not a quota's).

"default" is PyTorch's own choice (the cores in the affinity mask). Steps are timed as a whole, after two warm-up
steps, because a quota throttles in 100 ms periods; compare rows of one run (the machine's load moves them).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERIOD_US = 100_000


def make_cgroup(quota: float) -> tuple[Path, str] | None:
    """A new cgroup with ``quota`` CPUs (v1 cpu controller, else v2), or None where none can be made here."""
    name = f"layer_by_layer_quota_{os.getpid()}_{int(quota * 1000)}"
    v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
    try:
        if (v1 / "cpu.cfs_quota_us").exists() or (v1 / "cgroup.procs").exists():
            folder = v1 / name
            folder.mkdir()
            (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (folder / "cpu.cfs_quota_us").write_text(str(int(quota * PERIOD_US)))
            return folder, "v1"
        if (v2 / "cgroup.controllers").exists():
            folder = v2 / name
            folder.mkdir()
            (folder / "cpu.max").write_text(f"{int(quota * PERIOD_US)} {PERIOD_US}")
            return folder, "v2"
    except OSError:
        return None
    return None


def fake_root(quota: float) -> Path:
    """A test double of /proc/self/cgroup and a v2 ``cpu.max`` with ``quota`` CPUs."""
    root = Path(tempfile.mkdtemp(prefix="fake_cgroup_"))
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text("0::/kernel\n")
    (root / "sys/fs/cgroup/kernel").mkdir(parents=True)
    (root / "sys/fs/cgroup/kernel/cpu.max").write_text(f"{int(quota * PERIOD_US)} {PERIOD_US}\n")
    return root


def worker(args) -> None:
    """In the child: join the cgroup, choose the threads (or keep PyTorch's default), time the steps, print JSON."""
    if args.cgroup:
        (Path(args.cgroup) / "cgroup.procs").write_text(str(os.getpid()))
    import torch

    from lessons_lib import models, settings

    if args.threads == "chosen":
        threads, why = settings.use_cpu_threads(args.root)
    else:
        threads, why = torch.get_num_threads(), "PyTorch's default"
    torch.manual_seed(0)
    net, x, y = models.fast_mnist_net(), torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))
    optimizer = torch.optim.Adam(net.parameters())

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()

    for _ in range(2):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    print(json.dumps({"threads": threads, "why": why, "step_s": (time.perf_counter() - started) / args.steps}))


def run_child(threads: str, steps: int, cgroup: Path | None, root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "LESSONS_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--worker", "--threads", threads, "--steps", str(steps), "--root", str(root)]
    if cgroup:
        command += ["--cgroup", str(cgroup)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quotas", type=float, nargs="+", default=[0.5, 1.0, 1.5], help="CPU quotas to try")
    parser.add_argument("--steps", type=int, default=12, help="timed training steps per run (default 12)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", default="chosen", help=argparse.SUPPRESS)
    parser.add_argument("--cgroup", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--root", default="/", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    print(f"lesson 07/08's fast MNIST net, batch 128, one training step; {os.cpu_count()} cores visible, "
          f"affinity {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}")
    print(f"{'quota':>6}  {'how':<10}{'chosen threads':>16}{'chosen':>11}{'default threads':>17}{'default':>11}"
          f"{'default/chosen':>16}")
    for quota in args.quotas:
        made = make_cgroup(quota)
        root = Path("/") if made else fake_root(quota)
        how = f"real {made[1]}" if made else "simulated"
        try:
            chosen = run_child("chosen", args.steps, made and made[0], root)
            default = run_child("default", args.steps, made and made[0], root)
        finally:
            if made:
                made[0].rmdir()
        print(f"{quota:>6g}  {how:<10}{chosen['threads']:>16}{chosen['step_s'] * 1000:>8.1f} ms"
              f"{default['threads']:>17}{default['step_s'] * 1000:>8.1f} ms{default['step_s'] / chosen['step_s']:>16.2f}",
              flush=True)


if __name__ == "__main__":
    main()
