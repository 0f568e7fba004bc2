"""Tests for the kernel's training tools: the one-cycle optimiser and standardisation (from lesson 03), ``fit`` under
LESSONS_UNTRAINED, and the channels-last memory order ``fit`` trains in."""
import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib import training
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


def _small_conv_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.Flatten(),
                         nn.Linear(8 * 6 * 6, 4))


def test_channels_last_changes_the_memory_order_inside_the_block_only():
    net = _small_conv_net()
    weight = net[0].weight
    with training.channels_last(net):
        assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
        assert net[4].weight.is_contiguous()                     # 2-D weights are left alone
    assert net[0].weight is weight and weight.is_contiguous()    # same Parameter, default order again
    weight.view(8, -1)                                           # what code outside the block may do


def test_channels_last_gives_the_same_outputs_and_gradients_to_rounding():
    net, x = _small_conv_net(), torch.randn(5, 3, 8, 8)
    net(x).square().sum().backward()
    expected_out, expected_grad = net(x).detach(), net[0].weight.grad.clone()
    net.zero_grad()
    with training.channels_last(net):
        out = net(x)
        out.square().sum().backward()
    torch.testing.assert_close(out.detach(), expected_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(net[0].weight.grad, expected_grad, rtol=1e-4, atol=1e-4)


def test_channels_last_nested_blocks_convert_once_and_restore_at_the_outer_end():
    net = _small_conv_net()
    with training.channels_last(net):
        with training.channels_last(net, net):                    # e.g. evaluate() called inside fit()
            pass
        assert net[0].weight.is_contiguous(memory_format=torch.channels_last) and not net[0].weight.is_contiguous()
    assert net[0].weight.is_contiguous()


def test_channels_last_restores_the_order_when_the_block_raises():
    net = _small_conv_net()
    with pytest.raises(RuntimeError, match="boom"):
        with training.channels_last(net):
            raise RuntimeError("boom")
    assert net[0].weight.is_contiguous()
    with training.channels_last(net):                              # and it can be entered again
        assert not net[0].weight.is_contiguous()


def test_channels_last_rejects_what_is_not_a_module():
    with pytest.raises(TypeError, match="torch modules"):
        with training.channels_last(torch.zeros(2, 3, 4, 4)):
            pass


def test_fit_trains_in_channels_last_and_hands_back_default_order_weights_an_optimizer_still_updates():
    net = _small_conv_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)     # built before fit, on the same Parameter objects
    x, y = torch.randn(64, 3, 8, 8), torch.randint(0, 4, (64,))
    before = net[0].weight.detach().clone()
    seen = []
    net[0].register_forward_hook(lambda m, i, o: seen.append(m.weight.is_contiguous()))
    history = training.fit(net, training.make_loader(x, y, batch_size=16), epochs=2, optimizer=optimizer,
                           device="cpu", progress=False)
    assert seen and not any(seen)                  # every training step ran with channels-last kernels
    assert net[0].weight.is_contiguous() and not torch.equal(net[0].weight, before)
    assert history.metrics["loss"][1] < history.metrics["loss"][0]
    training.fit(net, training.make_loader(x, y, batch_size=16), epochs=1, optimizer=optimizer, device="cpu",
                 progress=False)                   # the optimizer's state survives a second call
    assert training.evaluate(net, training.make_loader(x, y, batch_size=32))["accuracy"] > 0.25


# ------------------------------------------------------------------------------ estimate_time, training_step
def test_estimate_time_is_measured_time_per_step_times_steps(monkeypatch):
    from lessons_lib import training

    clock = {"now": 100.0, "calls": 0}
    monkeypatch.setattr(training.time, "perf_counter", lambda: clock["now"])

    def fake_step():                     # a "step" that takes 25 ms on the fake clock, 40 ms the first time
        clock["now"] += 0.040 if clock["calls"] == 0 else 0.025
        clock["calls"] += 1

    estimate = training.estimate_time(fake_step, steps=1200, repeats=3, warmup=1)
    assert clock["calls"] == 4                                     # one warm-up call, three timed ones
    assert estimate.seconds_per_step == pytest.approx(0.025)
    assert estimate.seconds == pytest.approx(30.0)
    assert str(estimate) == "about 30 s on this machine (measured: 25.0 ms per step)"
    assert str(training.TimeEstimate(0.5, 600)) == "about 5 min on this machine (measured: 500.0 ms per step)"
    assert str(training.TimeEstimate(0.0012, 100)).startswith("about 0.1 s on this machine")
    both = training.TimeEstimate(0.010, 100) + training.TimeEstimate(0.030, 100)   # 1 s, then 3 s
    assert both.steps == 200 and both.seconds == pytest.approx(4.0) and both.seconds_per_step == pytest.approx(0.02)
    assert sum([training.TimeEstimate(0.01, 10)] * 3, training.TimeEstimate(0.0, 0)).seconds == pytest.approx(0.3)
    with pytest.raises(ValueError, match="steps"):
        training.estimate_time(fake_step, steps=0)


def test_estimate_time_with_a_real_clock():
    import time as real_time

    from lessons_lib.training import estimate_time

    estimate = estimate_time(lambda: real_time.sleep(0.01), steps=50)
    assert 0.009 <= estimate.seconds_per_step < 0.2 and estimate.seconds == pytest.approx(50 * estimate.seconds_per_step)


def test_estimate_time_leaves_the_random_generators_as_they_were():
    import random

    from lessons_lib.training import estimate_time

    def draws():
        return torch.rand(3).tolist(), np.random.rand(3).tolist(), [random.random() for _ in range(3)]

    def greedy_step():                   # a step that draws from every generator
        torch.randn(100), np.random.randn(100), random.random()

    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    expected = draws()
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    estimate_time(greedy_step, steps=10)
    assert draws() == expected


def test_training_step_trains_a_copy_and_never_the_model():
    from lessons_lib.training import estimate_time, training_step

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
    step = training_step(model, x, y, lr=1e-2, device="cpu")
    estimate = estimate_time(step, steps=100)
    assert estimate.seconds_per_step > 0
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))   # the model is untouched
    assert model[0].weight.is_contiguous()
