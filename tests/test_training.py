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


@pytest.mark.parametrize("untrained", [False, True])
def test_fit_under_lessons_untrained_goes_forward_but_learns_nothing(untrained, monkeypatch):
    """LESSONS_UNTRAINED=1 (the untrained-model test of every lesson's checks): fit runs every batch forward, so batch
    norm statistics and the history are those a frozen optimizer would give, but computes no gradient."""
    from lessons_lib import settings
    from lessons_lib.training import fit, make_loader

    monkeypatch.setattr(settings, "UNTRAINED", untrained)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3))
    before = [p.detach().clone() for p in model.parameters()]
    loader = make_loader(np.random.rand(64, 4).astype(np.float32), np.arange(64) % 3, batch_size=16)
    history = fit(model, loader, epochs=2, progress=False, device="cpu")
    assert len(history.metrics["loss"]) == 2 and model[1].num_batches_tracked.item() == 8
    unchanged = all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert unchanged == untrained and all(p.grad is None for p in model.parameters()) == untrained
