"""losscheck's line protocol (docs/format.md) for a Python exec target, so that the target is a few lines.

A target is a dict of loss functions, one per `torch.nn.functional` name it implements, handed to `serve`:

    import losscheck_protocol as lp

    def mse_loss(case):                          # case.inputs: numpy arrays in the case's dtype
        x, t = case.inputs["input"], case.inputs["target"]
        diff = x - t                             # broadcasts as torch does; shapes that do not raise (an error)
        out, g = lp.reduce(diff * diff, case.reduction, case.grad_output)
        return out, {"input": lp.sum_to_shape(2 * diff * g, x.shape),
                     "target": lp.sum_to_shape(-2 * diff * g, t.shape)}

    lp.serve({"mse_loss": mse_loss})             # every other loss is answered `unsupported`

and is audited with `losscheck audit --target 'exec:/usr/bin/python3 my_target.py' --loss mse_loss`
(examples/python/my_mse.py is this target; docs/ci.md runs it in CI).

What `serve` does, per line of stdin (one case, docs/format.md "Cases"):
- parses the case and builds a `Case`: `id`, `loss`, `dtype` ("float32" or "float64"), `np_dtype`, `options` (the
  JSON object, numbers as Python int/float), `inputs` (name -> numpy array; float tensors in the case's dtype,
  decimals rounded once and correctly to float32, "nan"/"inf"/"-inf" as the values they name, class indices as
  int64; an input that is absent or null is not in the dict), `grad_output` (an array shaped like the output, or
  None: ones) and `reduction` (the `reduction` option with torch's legacy `size_average`/`reduce` flags applied);
- calls the function registered for `case.loss`; a loss with none is answered `{"unsupported": "..."}`;
- writes the result line and flushes: `{"id", "output", "grads"}`, every array cast to the case's float dtype (int64
  arrays stay int64). The function returns `output` alone (no gradients), `(output, grads)` or
  `(output, grads, unsupported_grads)` — `grads` maps input names to gradients (numpy arrays, torch tensors or
  numbers), `unsupported_grads` maps the names of gradients the target does not compute to the reason;
- turns an exception into `{"id", "error": "<loss>: <first line of the message>"}` (the case is invalid: torch would
  raise), except `Unsupported("reason")`, which becomes `{"id", "unsupported": "reason"}` (the case is outside what
  the target implements; losscheck skips it: docs/audit.md).
A case that is JSON but not a valid case (a shape that does not match its data, a float tensor of another dtype) is
an `error` result too, and the stream goes on. A line that is not JSON is reported on stderr with its number and the
program exits with status 2, as `losscheck run` does. Numpy's floating-point warnings (overflow, 0/0) are silenced:
inf and NaN are answers like any other.

With torch: `case.torch_inputs(requires_grad=[...])` gives the inputs as torch tensors, and
`torch_result(case, output, tensors)` differentiates `output` with respect to the named tensors with
`case.grad_output`:

    def mse_loss(case):
        t = case.torch_inputs(requires_grad=["input", "target"])
        out = torch.nn.functional.mse_loss(t["input"], t["target"], reduction=case.reduction)
        return lp.torch_result(case, out, {"input": t["input"], "target": t["target"]})

Needs numpy (Debian 12: python3-numpy); torch only for the two torch helpers (python3-torch).
"""

import json
import math
import sys
import warnings
from fractions import Fraction

import numpy as np

__all__ = ["Case", "Unsupported", "serve", "reduce", "sum_to_shape", "torch_result"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


class Unsupported(Exception):
    """Raise it from a loss function for a case the target does not implement (an option, a dtype, a shape):
    answered `{"unsupported": reason}`, which losscheck counts as skipped, never as a failure."""


class _CaseError(ValueError):
    """The case is JSON but not a valid case (docs/format.md)."""


class _RawFloat(str):
    """A JSON number with a fraction or exponent, kept as its text so that it is rounded once to the case's dtype."""


def _reject_constant(name):
    raise ValueError(f'{name} is not JSON (write "nan", "inf", "-inf")')


def _to_float32(text):
    """Round a decimal string correctly (to nearest, ties to even) to float32. float32(float64(text)) rounds twice,
    which is wrong only when the float64 value is exactly the midpoint of two float32 values: then the exact decimal
    decides."""
    d = float(text)
    f = np.float32(d)
    if not math.isfinite(d) or float(f) == d:
        return f
    other = np.nextafter(f, np.float32(math.copysign(math.inf, d - float(f))))
    exact_f = Fraction(float(f)) if math.isfinite(f) else int(math.copysign(1, d)) * Fraction(2) ** 128  # inf
    mid = (exact_f + Fraction(float(other))) / 2
    if Fraction(d) != mid:
        return f
    exact = Fraction(text)
    if exact == mid:
        return f  # a true tie: the cast already rounded it to even
    return f if (exact > mid) == (exact_f > mid) else other


def _float(value, dtype, where):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _CaseError(f'{where}: float data must be numbers or "nan"/"inf"/"-inf", got {json.dumps(value)}')
    if isinstance(value, str) and not isinstance(value, _RawFloat) and value not in ("nan", "inf", "-inf"):
        raise _CaseError(f"{where}: bad float value {json.dumps(value)}")
    return _to_float32(str(value)) if dtype == "float32" else float(str(value))


def _array(name, obj, case_dtype):
    """A tensor of docs/format.md "Tensors" as a numpy array of its dtype and shape."""
    if not isinstance(obj, dict) or not isinstance(obj.get("shape"), list) or not isinstance(obj.get("data"), list):
        raise _CaseError(f"inputs.{name}: a tensor is an object with 'shape' and 'data' arrays")
    shape = obj["shape"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise _CaseError(f"inputs.{name}: shape must hold non-negative integers, got {json.dumps(shape)}")
    dtype = obj.get("dtype", case_dtype)
    if dtype not in ("int64", case_dtype):
        raise _CaseError(f"inputs.{name}: dtype {json.dumps(dtype)} is neither int64 nor the case's {case_dtype}")
    data = obj["data"]
    if len(data) != math.prod(shape):
        raise _CaseError(f"inputs.{name}: {len(data)} values for shape {shape}")
    if dtype == "int64":
        if not all(isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63 for v in data):
            raise _CaseError(f"inputs.{name}: int64 data must be integers within the int64 range")
        return np.array(data, dtype=np.int64).reshape(shape)
    return np.array([_float(v, dtype, f"inputs.{name}") for v in data], dtype=_DTYPES[dtype]).reshape(shape)


def _plain(value):
    """JSON value with _RawFloat numbers as Python floats (options)."""
    if isinstance(value, _RawFloat):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Case:
    """One case of docs/format.md, its tensors as numpy arrays."""

    def __init__(self, obj):
        if not isinstance(obj, dict):
            raise _CaseError("a case must be a JSON object")
        self.id = obj.get("id")
        self.loss = obj.get("loss")
        if not isinstance(self.loss, str) or isinstance(self.loss, _RawFloat):
            raise _CaseError(f"'loss' must be a loss name, got {json.dumps(_plain(self.loss))}")
        self.dtype = obj.get("dtype", "float32")
        if self.dtype not in _DTYPES:
            raise _CaseError(f"dtype must be float32 or float64, got {json.dumps(_plain(self.dtype))}")
        self.np_dtype = _DTYPES[self.dtype]
        options = obj.get("options")
        inputs = obj.get("inputs")
        if not isinstance(options if options is not None else {}, dict) or not isinstance(inputs, dict):
            raise _CaseError("'options' and 'inputs' must be objects")
        self.options = _plain(options or {})
        self.inputs = {name: _array(name, t, self.dtype) for name, t in inputs.items() if t is not None}
        g = obj.get("grad_output")
        self.grad_output = None if g is None else _array("grad_output", g, self.dtype)

    @property
    def reduction(self):
        """The reduction asked for: `reduction` (default "mean"; "elementwise_mean" is "mean"), overridden by
        torch's legacy flags as torch.nn._reduction.legacy_get_string does (either given: reduce=False -> "none",
        else size_average=False -> "sum", else "mean"). Raises ValueError for a reduction that is not a string."""
        size_average, reduce_ = self.options.get("size_average"), self.options.get("reduce")
        if size_average is not None or reduce_ is not None:
            if reduce_ is False:
                return "none"
            return "sum" if size_average is False else "mean"
        reduction = self.options.get("reduction", "mean")
        if not isinstance(reduction, str):
            raise ValueError(f"reduction must be a string, got {json.dumps(reduction)}")
        return "mean" if reduction == "elementwise_mean" else reduction

    def torch_inputs(self, requires_grad=()):
        """The inputs as torch tensors (copies), those named in `requires_grad` requiring grad."""
        import torch
        tensors = {name: torch.tensor(a) for name, a in self.inputs.items()}
        for name in requires_grad:
            if name in tensors and tensors[name].is_floating_point():
                tensors[name].requires_grad_(True)
        return tensors


def reduce(elements, reduction, grad_output=None):
    """(output, g): `elements` reduced as asked ("none", "mean", "sum"), and g = grad_output · d(output)/d(elements),
    shaped like `elements` (grad_output None: ones) — what the chain rule multiplies each element's derivative by.
    A mean over no elements is NaN, as torch's. Any other reduction raises ValueError, with torch's message."""
    elements = np.asarray(elements)
    dtype = elements.dtype
    if reduction == "none":
        g = np.ones_like(elements) if grad_output is None else np.asarray(grad_output, dtype=dtype)
        if g.shape != elements.shape:
            raise ValueError(f"grad_output has shape {list(g.shape)}, the output {list(elements.shape)}")
        return elements, g
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    g = dtype.type(1) if grad_output is None else np.asarray(grad_output, dtype=dtype)
    if np.shape(g) != ():
        raise ValueError(f"grad_output has shape {list(np.shape(g))}, the output []")
    if reduction == "sum":
        return elements.sum(dtype=dtype), np.full(elements.shape, g, dtype=dtype)
    return elements.mean(dtype=dtype), np.full(elements.shape, g / dtype.type(max(elements.size, 1)), dtype=dtype)


def sum_to_shape(grad, shape):
    """The gradient of a broadcast input: `grad` (shaped like the broadcast result) summed over the dimensions that
    broadcasting added or stretched from 1, so that it has the input's `shape` (as torch's autograd does)."""
    grad = np.asarray(grad)
    shape = tuple(shape)
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def torch_result(case, output, tensors):
    """(output, grads) of a torch computation: the gradients of `output` with respect to `tensors` (name -> tensor
    that requires grad), weighted by case.grad_output; a tensor that `output` does not depend on gets zeros."""
    import torch
    wrt = {n: t for n, t in tensors.items() if t.requires_grad}
    if not output.requires_grad or not wrt:
        return output.detach(), {n: torch.zeros_like(t) for n, t in wrt.items()}
    g = torch.ones_like(output) if case.grad_output is None else torch.tensor(case.grad_output)
    grads = torch.autograd.grad(output, list(wrt.values()), g, allow_unused=True)
    return output.detach(), {n: torch.zeros_like(t) if d is None else d for (n, t), d in zip(wrt.items(), grads)}


def _format_float(x, dtype):
    if math.isnan(x):
        return '"nan"'
    if math.isinf(x):
        return '"inf"' if x > 0 else '"-inf"'
    return str(np.float32(x)) if dtype == "float32" else repr(float(x))  # shortest form that reads back exactly


def _tensor_json(value, case, where):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype.kind in "iub":
        dtype = "int64"
        data = ", ".join(str(int(v)) for v in a.reshape(-1).tolist())
    elif a.dtype.kind == "f":
        dtype = case.dtype
        data = ", ".join(_format_float(v, dtype) for v in a.astype(case.np_dtype).reshape(-1).tolist())
    else:
        raise TypeError(f"{where} is not a float or integer array (dtype {a.dtype})")
    return f'{{"shape": {json.dumps(list(a.shape))}, "dtype": "{dtype}", "data": [{data}]}}'


def _id_json(value):
    """The case's id as it was read (a number keeps its text)."""
    if isinstance(value, _RawFloat):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_id_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_id_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _result_line(obj, losses):
    head = f'{{"id": {_id_json(obj.get("id") if isinstance(obj, dict) else None)}, '
    name = obj.get("loss") if isinstance(obj, dict) else None
    name = name if isinstance(name, str) else "case"
    try:
        case = Case(obj)
        if case.loss not in losses:
            return head + f'"unsupported": {json.dumps(f"this target has no {case.loss}")}}}'
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice": NaN is the answer
            answer = losses[case.loss](case)
            parts = list(answer) if isinstance(answer, tuple) else [answer]
            output, grads, missing = (parts + [{}, {}])[:3]
            text = head + f'"output": {_tensor_json(output, case, "output")}, "grads": {{' + ", ".join(
                f"{json.dumps(n)}: {_tensor_json(g, case, 'grads.' + n)}" for n, g in grads.items()) + "}"
        if missing:
            text += f', "unsupported_grads": {json.dumps(missing)}'
        return text + "}"
    except Unsupported as e:
        return head + f'"unsupported": {json.dumps(str(e) or "not supported")}}}'
    except Exception as e:  # the case is invalid: whatever the loss function or the case's reading raised
        message = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return head + f'"error": {json.dumps(f"{name}: {message}")}}}'


def serve(losses, stdin=None, stdout=None):
    """Answers every case on stdin with `losses[case.loss](case)` (see the module's docstring), one result line per
    case, in order, each flushed. Returns at the end of the input."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    for number, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_float=_RawFloat, parse_constant=_reject_constant)
        except ValueError as e:
            print(f"{sys.argv[0]}: line {number}: malformed JSON: {e}", file=sys.stderr)
            sys.exit(2)
        stdout.write(_result_line(obj, losses) + "\n")
        stdout.flush()
