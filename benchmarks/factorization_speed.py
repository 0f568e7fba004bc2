"""Measured forward time of the factorizations of notebook 04 on this machine (prints a table; asserts nothing).

    python benchmarks/factorization_speed.py [--batch 32] [--channels 64] [--size 32] [--repeats 10] [--no-save]

Writes benchmarks/results/factorization_speed.json for benchmarks/report.py: one row per factorization, its
forward time as a multiple of the k×k convolution it replaces (the target: below 1, i.e. faster), with the
multiply-add ratio beside it.

Each row: multiply-adds per image (counted), median forward time (measured with ``time_forward``),
and both as a ratio to the plain k×k convolution. Timings depend on hardware, library and load —
compare rows from one run, never across machines. Uses CUDA when present (``get_device``).

Introduced in notebook 04 (Inception-style factorization).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

from lessons_lib import get_device, seed_everything
from lessons_lib.factorization import asymmetric_conv, depthwise_separable_conv, stacked_3x3
from lessons_lib.measure import count_multiply_adds, time_forward


def candidates(channels: int) -> dict[str, nn.Module]:
    """The layers compared: a 5×5 and its factorizations, a 3×3 and its factorizations (all C → C, no biases)."""
    return {
        "5×5": nn.Conv2d(channels, channels, 5, padding=2, bias=False),
        "two 3×3 (ReLU between)": stacked_3x3(channels, channels),
        "1×5 + 5×1": asymmetric_conv(channels, channels, 5),
        "separable 5×5": depthwise_separable_conv(channels, channels, 5),
        "3×3": nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        "1×3 + 3×1": asymmetric_conv(channels, channels, 3),
        "separable 3×3": depthwise_separable_conv(channels, channels, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/factorization_speed.json")
    parser.add_argument("--results", type=Path, default=None, help="folder for the JSON (default: benchmarks/results)")
    args = parser.parse_args(argv)
    seed_everything(0)
    device = get_device()
    x = torch.randn(args.batch, args.channels, args.size, args.size, device=device)
    print(f"device {device}, batch {tuple(x.shape)}, torch threads {torch.get_num_threads()}")
    print(f"{'layer':<24} {'M mult-adds/img':>15} {'ms/batch':>9} {'MAC ratio':>10} {'time ratio':>11}")
    reference: tuple[int, float] | None = None
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import report                                                       # benchmarks/report.py, beside this script

    device_name = report.device_label(device)
    rows, replaced = [], None
    for name, module in candidates(args.channels).items():
        module = module.to(device)
        macs = count_multiply_adds(module, (args.channels, args.size, args.size))
        seconds = time_forward(module, x, repeats=args.repeats)
        if name in ("5×5", "3×3"):
            reference, replaced = (macs, seconds), name
        assert reference is not None
        print(f"{name:<24} {macs / 1e6:>15.2f} {seconds * 1e3:>9.2f} {macs / reference[0]:>10.2f} "
              f"{seconds / reference[1]:>11.2f}")
        if name != replaced:
            rows.append({"target": f"{name} faster than the {replaced} it replaces (lesson 04)",
                         "measured": round(seconds / reference[1], 2), "unit": f"x the {replaced}'s time",
                         "met": seconds < reference[1], "device": device_name, "limit": 1.0, "better": "lower",
                         "lesson": "04", "note": f"{macs / reference[0]:.2f} x its multiply-adds; batch "
                                                 f"{tuple(x.shape)}, median of {args.repeats} forward passes"})
    if not args.no_save:
        print("wrote", report.write_results("factorization_speed", rows, args.results or report.RESULTS))


if __name__ == "__main__":
    main()
