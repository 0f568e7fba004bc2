"""lessons_lib.quality: the checks on trained models, their margin, and the spread benchmark's seed shift."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lessons_lib import quality, settings

ROOT = Path(__file__).resolve().parents[1]

SPREAD = {"quick": {"99": {"toy accuracy": {"runs": 6, "kind": "at_least", "bar": 0.5, "worst": 0.80, "best": 0.90,
                                            "mean": 0.85, "margin": 0.05},
                           "toy distance": {"runs": 6, "kind": "at_most", "bar": 2.0, "worst": 1.5, "best": 1.1,
                                            "mean": 1.3, "margin": 0.2}}}}


@pytest.fixture
def stored(monkeypatch):
    monkeypatch.setattr(settings, "QUICK", True)
    monkeypatch.setattr(settings, "RECORD_CHECKS", None)
    monkeypatch.setattr(settings, "ENFORCE_SPREAD", False)     # the suite sets it (conftest.py); tests turn it on
    monkeypatch.setattr(quality, "stored_spread", lambda: SPREAD)


def test_margin_is_half_the_range_and_at_least_two_percent_of_the_worst():
    assert quality.margin([0.80, 0.90, 0.85]) == pytest.approx(0.05)
    assert quality.margin([0.90, 0.90]) == pytest.approx(0.018)          # no spread measured: 2 % of the worst
    assert quality.margin([-0.5, -0.1]) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="at least one"):
        quality.margin([])


def test_a_passing_check_prints_value_bar_and_spread(stored, capsys):
    assert quality.at_least("toy accuracy", 0.84, 0.7) == 0.84
    assert quality.at_most("toy distance", np.float32(1.2), 1.6) == pytest.approx(1.2)
    out = capsys.readouterr().out
    assert "check passed, toy accuracy: 0.84 ≥ 0.7 (6 measured runs: worst 0.8, mean 0.85)" in out
    assert "toy distance: 1.2 ≤ 1.6" in out


def test_a_failing_check_raises_naming_the_check(stored):
    with pytest.raises(AssertionError, match=r"'toy accuracy': 0.6 is not ≥ 0.7 \(6 measured runs"):
        quality.at_least("toy accuracy", 0.6, 0.7)
    with pytest.raises(AssertionError, match="is not ≤"):
        quality.at_most("toy distance", 1.7, 1.6)


@pytest.mark.parametrize("value, error, words", [(float("nan"), ValueError, "finite"), ("0.9", TypeError, "a number"),
                                                 (True, TypeError, "a number"), (torch.ones(3), TypeError, "a number")])
def test_bad_values_get_a_clear_error(stored, value, error, words):
    with pytest.raises(error, match=words):
        quality.at_least("toy accuracy", value, 0.5)


def test_a_zero_dimensional_tensor_is_a_number(stored):
    assert quality.at_least("toy accuracy", torch.tensor(0.9), 0.5) == pytest.approx(0.9)


def test_a_check_needs_a_name(stored):
    with pytest.raises(TypeError, match="needs a name"):
        quality.at_least("", 0.9, 0.5)


def test_enforced_a_bar_beyond_the_spread_or_an_unmeasured_check_fails(stored, monkeypatch):
    monkeypatch.setattr(settings, "ENFORCE_SPREAD", True)
    quality.at_least("toy accuracy", 0.9, 0.75)                 # 0.80 - 0.05: the highest bar allowed
    quality.at_most("toy distance", 1.0, 1.7)                   # 1.5 + 0.2: the lowest bar allowed
    with pytest.raises(AssertionError, match=r"bar 0.76 is beyond what the measured spread allows .* \(0.75"):
        quality.at_least("toy accuracy", 0.9, 0.76)
    with pytest.raises(AssertionError, match="beyond what the measured spread allows"):
        quality.at_most("toy distance", 1.0, 1.6)
    with pytest.raises(AssertionError, match="no measured spread in quick mode: run `python benchmarks/quality_spread"):
        quality.at_least("never measured", 0.9, 0.1)
    with pytest.raises(AssertionError, match="measured as at_least, but is now at_most"):
        quality.at_most("toy accuracy", 0.1, 0.9)


def test_recording_appends_every_check_and_never_raises(stored, monkeypatch, tmp_path):
    record = tmp_path / "checks.jsonl"
    monkeypatch.setattr(settings, "RECORD_CHECKS", str(record))
    quality.at_least("toy accuracy", 0.3, 0.7)                  # below the bar: recorded, not raised
    quality.at_most("toy distance", 1.0, 1.6)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines == [{"name": "toy accuracy", "value": 0.3, "bar": 0.7, "kind": "at_least", "passed": False,
                      "mode": "quick"},
                     {"name": "toy distance", "value": 1.0, "bar": 1.6, "kind": "at_most", "passed": True,
                      "mode": "quick"}]


def test_bar_allowed():
    entry = SPREAD["quick"]["99"]
    assert quality.bar_allowed(entry["toy accuracy"]) == pytest.approx(0.75)
    assert quality.bar_allowed(entry["toy distance"]) == pytest.approx(1.7)


SHIFTED = """
import random, numpy as np, torch
from lessons_lib.quality import shift_every_seed
from lessons_lib.settings import seed_everything
plain = {"manual": torch.manual_seed(3) and torch.rand(2).tolist(),
         "generator": torch.rand(2, generator=torch.Generator().manual_seed(4)).tolist(),
         "rng": np.random.default_rng(3).random(2).tolist()}
np.random.seed(3); plain["np"] = np.random.rand(2).tolist()
random.seed(3); plain["random"] = random.random()
assert shift_every_seed(3) and shift_every_seed(3)          # idempotent: shifted once
shifted = {"manual": torch.manual_seed(0) and torch.rand(2).tolist(),
           "generator": torch.rand(2, generator=torch.Generator().manual_seed(1)).tolist(),
           "rng": np.random.default_rng(0).random(2).tolist()}
np.random.seed(0); shifted["np"] = np.random.rand(2).tolist()
random.seed(0); shifted["random"] = random.random()
assert plain == shifted, (plain, shifted)
seed_everything(0); a = torch.rand(2)
torch.random.manual_seed(3); assert torch.equal(a, torch.rand(2)), "seed_everything(0) lands on 3"
loader = torch.utils.data.DataLoader(list(range(8)), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
assert sorted(sum((b.tolist() for b in loader), [])) == list(range(8))
print("shifted")
"""


def test_shift_every_seed_moves_every_way_a_lesson_seeds():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", SHIFTED], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "shifted" in result.stdout, result.stderr[-2000:]


def test_offset_zero_shifts_nothing():
    assert quality.shift_every_seed(0) is False                # learners: nothing is patched
    assert torch.Generator is torch._C.Generator


def test_a_check_not_yet_robust_says_so_instead_of_failing_on_its_spread(stored, monkeypatch, capsys):
    monkeypatch.setattr(settings, "ENFORCE_SPREAD", True)
    monkeypatch.setitem(quality.NOT_YET_ROBUST, ("quick", "toy distance"), "a toy recipe that swings")
    assert quality.at_most("toy distance", 1.2, 1.6) == pytest.approx(1.2)       # 1.6 is beyond the spread's 1.7
    assert "not held to its measured spread yet: a toy recipe that swings" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="is not ≤"):                          # its own bar still holds
        quality.at_most("toy distance", 1.65, 1.6)


def test_targets_are_held_against_every_stored_run(monkeypatch):
    spread = {"full": {"99": {"toy share": {"runs": 3, "kind": "at_least", "worst": 0.89, "mean": 0.95,
                                            "values": [1.0, 0.89, 0.96]},
                              "toy distance": {"runs": 3, "kind": "at_most", "worst": 1.5, "mean": 1.2,
                                               "values": [1.0, 1.1, 1.5]}}}}
    monkeypatch.setattr(quality, "stored_spread", lambda: spread)
    share, distance = quality.targets_against_spread({"toy share": 0.95, "toy distance": 2.0})
    assert (share.met, share.runs, share.always_met, share.worst) == (2, 3, False, 0.89)
    assert (distance.met, distance.always_met) == (3, True)
    with pytest.raises(LookupError, match="no stored full-mode spread for \\['toy other'\\]"):
        quality.targets_against_spread({"toy other": 1.0})
