"""The CPU threads ``start_lesson`` chooses: the cgroup quota (v1, v2, none) and the affinity mask, and the
variables that override them, on fake cgroup trees (``root`` points ``settings`` at a test double of ``/proc`` and
``/sys/fs/cgroup``)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lessons_lib import settings


def fake_tree(tmp_path: Path, cgroup: str, files: dict[str, str]) -> Path:
    """A root with ``proc/self/cgroup`` holding ``cgroup`` and each ``files`` path (relative to the root) written."""
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "proc" / "self" / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.fixture
def no_overrides(monkeypatch):
    monkeypatch.setattr(settings, "_THREADS_SETTING", None)
    monkeypatch.setattr(settings, "_OMP_THREADS_SETTING", None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)


def test_cgroup_v2_quota_in_the_process_cgroup(tmp_path, no_overrides):
    root = fake_tree(tmp_path, "0::/user.slice/kernel\n", {
        "sys/fs/cgroup/cpu.max": "max 100000\n",
        "sys/fs/cgroup/user.slice/kernel/cpu.max": "50000 100000\n"})
    assert settings.cgroup_cpu_limit(root) == 0.5
    assert settings.usable_cpus(root) == 0.5
    assert settings.cpu_threads(root) == (1, "cgroup CPU quota 0.5")


def test_cgroup_v2_a_parent_quota_binds_and_max_means_no_quota(tmp_path, no_overrides):
    root = fake_tree(tmp_path, "0::/hub/user\n", {
        "sys/fs/cgroup/hub/cpu.max": "200000 100000\n",
        "sys/fs/cgroup/hub/user/cpu.max": "max 100000\n"})
    assert settings.cgroup_cpu_limit(root) == 2.0
    assert settings.cpu_threads(root) == (2, "cgroup CPU quota 2")
    (root / "sys/fs/cgroup/hub/cpu.max").write_text("max 100000\n")
    assert settings.cgroup_cpu_limit(root) is None
    assert settings.cpu_threads(root) == (8, "8 usable cores")


def test_cgroup_v1_cfs_quota_and_unlimited(tmp_path, no_overrides):
    root = fake_tree(tmp_path, "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n", {
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"})
    assert settings.cgroup_cpu_limit(root) == 1.5
    assert settings.cpu_threads(root) == (1, "cgroup CPU quota 1.5")
    (root / "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us").write_text("-1\n")
    assert settings.cgroup_cpu_limit(root) is None


def test_cgroup_v1_container_sees_its_cgroup_at_the_mount_root(tmp_path, no_overrides):
    """Inside a container /proc/self/cgroup names the host's path, which is not under the container's mount."""
    root = fake_tree(tmp_path, "2:cpu:/kubepods/pod1/abc\n", {
        "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000\n",
        "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"})
    assert settings.cgroup_cpu_limit(root) == 1.0


def test_no_cgroup_at_all_uses_the_affinity_mask(tmp_path, monkeypatch, no_overrides):
    assert settings.cgroup_cpu_limit(tmp_path) is None                       # no /proc/self/cgroup
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    assert settings.usable_cpus(tmp_path) == 2.0
    assert settings.cpu_threads(tmp_path) == (2, "2 usable cores")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5}, raising=False)
    assert settings.cpu_threads(tmp_path) == (1, "1 usable core")


def test_the_affinity_mask_caps_a_larger_quota(tmp_path, monkeypatch, no_overrides):
    root = fake_tree(tmp_path, "0::/\n", {"sys/fs/cgroup/cpu.max": "400000 100000\n"})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert settings.cpu_threads(root) == (2, "2 usable cores")


def test_explicit_settings_win_over_the_quota(tmp_path, monkeypatch, no_overrides):
    root = fake_tree(tmp_path, "0::/\n", {"sys/fs/cgroup/cpu.max": "50000 100000\n"})
    monkeypatch.setattr(settings, "_OMP_THREADS_SETTING", "3")
    assert settings.cpu_threads(root) == (3, "OMP_NUM_THREADS")
    monkeypatch.setattr(settings, "_THREADS_SETTING", "4")
    assert settings.cpu_threads(root) == (4, "LESSONS_THREADS")
    monkeypatch.setattr(settings, "_THREADS_SETTING", "zero")
    with pytest.raises(ValueError, match="LESSONS_THREADS='zero'"):
        settings.cpu_threads(root)


def test_use_cpu_threads_sets_pytorch_and_start_lesson_prints_the_figure(monkeypatch, capsys, no_overrides):
    import torch

    from lessons_lib import start_lesson

    before = torch.get_num_threads()
    monkeypatch.setattr(settings, "_THREADS_SETTING", "1")
    try:
        start_lesson()
        assert torch.get_num_threads() == 1
        assert "| 1 CPU thread (LESSONS_THREADS)" in capsys.readouterr().out
    finally:
        torch.set_num_threads(before)


def test_this_machine_gives_a_positive_figure():
    threads, reason = settings.cpu_threads()
    assert threads >= 1 and reason
