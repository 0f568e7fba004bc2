"""Tests for the kernel's training tools that came from lesson 03: the one-cycle optimiser and standardisation."""
import numpy as np
import pytest
import torch

from lessons_lib.training import OneCycleAdamW, standardize


def test_one_cycle_adamw_warms_up_then_decays_and_stops_at_the_end():
    model = torch.nn.Linear(2, 1)
    optimizer = OneCycleAdamW(model.parameters(), max_lr=1e-2, total_steps=10, weight_decay=0.01)
    rates = []
    for _ in range(14):                                     # 4 steps past the end must not raise
        optimizer.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
    peak = int(np.argmax(rates))
    assert rates[0] < rates[peak] and abs(rates[peak] - 1e-2) < 1e-9
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1:]))
    assert rates[-1] < 1e-5 and optimizer.param_groups[0]["weight_decay"] == 0.01


@pytest.mark.parametrize("kwargs, fragment", [(dict(total_steps=0), "total_steps"), (dict(total_steps=2.5), "total_steps"),
                                              (dict(max_lr=0.0), "max_lr"), (dict(weight_decay=-1.0), "weight_decay")])
def test_one_cycle_adamw_rejects_bad_settings(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        OneCycleAdamW(torch.nn.Linear(2, 1).parameters(), **kwargs)


def test_standardize_uses_the_training_statistics():
    x = np.random.default_rng(0).normal(3, 2, (20, 2, 4, 5)).astype(np.float32)
    z, mean, std = standardize(x)
    assert z.dtype == np.float32 and np.allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    again, _, _ = standardize(x[:5], mean, std)
    assert np.allclose(again, z[:5])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        standardize(x[0])
