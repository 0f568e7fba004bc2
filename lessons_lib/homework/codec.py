"""Answers as plain data: what leaves a sandboxed grading run, and how the grader reads it back without running code.

A grading run (``lessons_lib.homework.runner``, inside the sandbox) writes each answer's value with ``encode``; the
grader reads it with ``decode``, which builds only numbers, strings, lists, tuples, dicts, NumPy arrays and PyTorch
tensors of numeric dtypes — never ``pickle``, so nothing a student's object defines (``__eq__``, ``__reduce__``,
``__array__``) runs in the grader. Anything else comes back as an ``Unexported`` stand-in, which no check accepts.
Part of the instructors' homework tooling (docs/instructors.md), not a notebook's helper.
"""
from __future__ import annotations

import base64
import json
import math
from typing import Any

MAX_DEPTH = 20
MAX_ITEMS = 100_000
NUMERIC_KINDS = "biufc"


class Unexported:
    """What the grader sees of a value that is not plain data (a student's object): its type's name and a short repr."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


def _array(kind: str, value) -> dict:
    import numpy as np
    array = np.array(value, copy=True, order="C")
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"arrays of dtype {array.dtype} are not exported")
    return {"__t": kind, "dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def encode(value: Any, depth: int = 0, budget: list | None = None) -> Any:
    """``value`` as JSON-able data (run inside the sandbox, on the student's objects)."""
    budget = budget if budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        return {"__t": "opaque", "type": "too large", "repr": ""}
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"__t": "float", "v": repr(value)}
    if kind in (list, tuple):
        items = [encode(v, depth + 1, budget) for v in value]
        return items if kind is list else {"__t": "tuple", "v": items}
    if kind is dict and all(type(k) is str for k in value):
        return {"__t": "dict", "v": {k: encode(v, depth + 1, budget) for k, v in value.items()}}
    module = kind.__module__ or ""
    try:
        if module == "numpy" and kind.__name__ == "ndarray":
            return _array("ndarray", value)
        if module.startswith("numpy") and hasattr(value, "dtype") and getattr(value, "shape", None) == ():
            return _array("npscalar", value)
        if module.startswith("torch") and kind.__name__ == "Size":
            return {"__t": "size", "v": [int(v) for v in value]}
        if module.startswith("torch") and kind.__name__ in ("Tensor", "Parameter"):
            tensor = value.detach().cpu()
            return dict(_array("tensor", tensor.numpy()), torch_dtype=str(tensor.dtype).removeprefix("torch."))
    except Exception:       # a failing conversion: reported as not plain data
        pass
    try:
        text = repr(value)[:200]
    except Exception:
        text = "?"
    return {"__t": "opaque", "type": f"{module}.{kind.__qualname__}", "repr": text}


def _decode_array(data: dict):
    import numpy as np
    dtype = np.dtype(str(data["dtype"]))
    if dtype.kind not in NUMERIC_KINDS:
        raise ValueError(f"refused dtype {dtype}")
    shape = tuple(int(s) for s in data["shape"])
    raw = base64.b64decode(data["data"])
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return array


def decode(data: Any, depth: int = 0) -> Any:
    """The value ``encode`` wrote, rebuilt from plain data only (run in the grader)."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("nested too deep")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1) for v in data]
    if type(data) is not dict:
        raise ValueError(f"unexpected {type(data).__name__}")
    tag = data.get("__t")
    if tag == "float":
        return float(str(data["v"]))
    if tag == "tuple":
        return tuple(decode(v, depth + 1) for v in data["v"])
    if tag == "dict":
        return {str(k): decode(v, depth + 1) for k, v in data["v"].items()}
    if tag == "ndarray":
        return _decode_array(data)
    if tag == "npscalar":
        return _decode_array(data)[()]
    if tag == "size":
        import torch
        return torch.Size([int(v) for v in data["v"]])
    if tag == "tensor":
        import torch
        array = _decode_array(data)
        dtype = getattr(torch, str(data.get("torch_dtype", "")), None)
        tensor = torch.from_numpy(array)
        return tensor.to(dtype) if isinstance(dtype, torch.dtype) else tensor
    if tag == "opaque":
        return Unexported(str(data.get("type", "?"))[:200], str(data.get("repr", ""))[:200])
    raise ValueError(f"unknown tag {tag!r}")


def dumps(value: Any) -> str:
    """``encode`` then JSON."""
    return json.dumps(encode(value))


def loads(text: str) -> Any:
    """JSON then ``decode``."""
    return decode(json.loads(text))
