"""Test-suite defaults, set before anything imports lessons_lib (and inherited by nbval's kernels).

The suite runs in quick mode, offline, with the course's offline datasets from ../shared/data
where that folder exists. Set any of these variables yourself to override (e.g. LESSONS_QUICK=0).
"""
import os
from pathlib import Path

os.environ.setdefault("LESSONS_QUICK", "1")
os.environ.setdefault("LESSONS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# pytest -n 2 runs two notebooks at once on 2 cores: one PyTorch thread each, not two fighting for a core.
os.environ.setdefault("OMP_NUM_THREADS", "1")
_shared_data = Path(__file__).resolve().parent.parent / "shared" / "data"
if _shared_data.is_dir():
    os.environ.setdefault("LESSONS_DATA_DIR", str(_shared_data))
