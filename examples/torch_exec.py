"""An exec target for losscheck that evaluates every case with Python PyTorch.

Usage:
    /usr/bin/python3 examples/torch_exec.py < cases.jsonl > results.jsonl
    losscheck run --target exec --exec '/usr/bin/python3 examples/torch_exec.py' ...

It speaks the line protocol of docs/format.md: one case per line on stdin, one result per line on stdout, in order,
each line flushed. Each case is evaluated with `torch.nn.functional` in the case's dtype, with the options passed
under torch's own argument names, and differentiated with `torch.autograd.grad` with respect to the inputs listed in
the "gradients reported" column of docs/format.md. Anything torch raises becomes `{"id": ..., "error": "<loss>: ..."}`.

Needs Debian's /usr/bin/python3 (python3-torch 1.13.1 and numpy). Blank lines are skipped; a line that is not JSON
is reported on stderr with its line number and the program exits with status 2.
"""

import json
import math
import sys
import warnings
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

def multi_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean", **options):
    """F.multi_margin_loss where torch 1.13 has an answer, and losscheck's where it has none (docs/torch-quirks.md):
    a weight without exactly C values is refused (torch 1.13 reads w[y] past its end; later versions refuse it), and
    an empty batch's sum or mean, which torch 1.13 leaves uninitialized, is taken over the (empty) `none` output."""
    classes = 1 if input.dim() == 0 else input.shape[-1]
    if weight is not None and weight.dim() == 1 and input.dim() <= 2 and weight.shape[0] != classes:
        raise ValueError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    if size_average is not None or reduce is not None:
        reduction = torch.nn._reduction.legacy_get_string(size_average, reduce, emit_warning=False)
    if input.dim() == 2 and input.shape[0] == 0 and reduction in ("mean", "sum", "elementwise_mean"):
        none = F.multi_margin_loss(input, target, weight=weight, reduction="none", **options)
        return none.sum() if reduction == "sum" else none.mean()
    return F.multi_margin_loss(input, target, weight=weight, reduction=reduction, **options)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """F.multilabel_margin_loss, except an empty batch's sum or mean, which torch 1.13 leaves uninitialized: taken
    over the (empty) `none` output, as losscheck defines it (docs/torch-quirks.md)."""
    if size_average is not None or reduce is not None:
        reduction = torch.nn._reduction.legacy_get_string(size_average, reduce, emit_warning=False)
    if input.dim() == 2 and input.shape[0] == 0 and reduction in ("mean", "sum", "elementwise_mean"):
        none = F.multilabel_margin_loss(input, target, reduction="none")
        return none.sum() if reduction == "sum" else none.mean()
    return F.multilabel_margin_loss(input, target, reduction=reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """F.ctc_loss, after losscheck's guard for the values torch 1.13's CPU kernel does not check (docs/torch-quirks.md):
    an input length below 1 or a negative target length (torch reads outside its buffers), a label outside [0, C)
    (read outside log_probs) or equal to the blank (refused by losscheck). Shapes are left to torch."""
    if (input_lengths < 1).any():
        raise ValueError(f"input_lengths must be at least 1, got {input_lengths.reshape(-1).tolist()}")
    if (target_lengths < 0).any():
        raise ValueError(f"target_lengths must be nonnegative, got {target_lengths.reshape(-1).tolist()}")
    if log_probs.dim() in (2, 3) and 0 <= blank < log_probs.shape[-1] and targets.dim() in (1, 2):
        n = 1 if log_probs.dim() == 2 else log_probs.shape[1]
        lengths = target_lengths.reshape(-1).tolist()
        if len(lengths) == n:
            if targets.dim() == 2 and targets.shape[0] == n and all(l <= targets.shape[1] for l in lengths):
                used = [v for b in range(n) for v in targets[b, :lengths[b]].tolist()]
            elif targets.dim() == 1 and sum(lengths) == targets.shape[0]:
                used = targets.tolist()
            else:
                used = []
            classes = log_probs.shape[-1]
            bad = [v for v in used if v < 0 or v >= classes or v == blank]
            if bad:
                raise ValueError(f"target labels must be in [0, {classes}) and not the blank {blank}, got {bad[0]}")
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=blank, reduction=reduction,
                      zero_infinity=zero_infinity)


# (function, required inputs, optional inputs, loss-specific options, gradients reported)
LOSSES = {
    "mse_loss": (F.mse_loss, ["input", "target"], [], [], ["input", "target"]),
    "binary_cross_entropy": (F.binary_cross_entropy, ["input", "target"], ["weight"], [], ["input", "target"]),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, ["input", "target"],
                                         ["weight", "pos_weight"], [], ["input", "target"]),
    "cross_entropy": (F.cross_entropy, ["input", "target"], ["weight"], ["ignore_index", "label_smoothing"],
                      ["input"]),  # with probability (float) targets also target and weight, see grad_names
    "nll_loss": (F.nll_loss, ["input", "target"], ["weight"], ["ignore_index"], ["input"]),
    "kl_div": (F.kl_div, ["input", "target"], [], ["log_target"], ["input", "target"]),
    "cosine_embedding_loss": (F.cosine_embedding_loss, ["input1", "input2", "target"], [], ["margin"],
                              ["input1", "input2"]),
    "l1_loss": (F.l1_loss, ["input", "target"], [], [], ["input", "target"]),
    "smooth_l1_loss": (F.smooth_l1_loss, ["input", "target"], [], ["beta"], ["input", "target"]),
    "huber_loss": (F.huber_loss, ["input", "target"], [], ["delta"], ["input", "target"]),
    "soft_margin_loss": (F.soft_margin_loss, ["input", "target"], [], [], ["input"]),  # torch refuses a target grad
    "multilabel_soft_margin_loss": (F.multilabel_soft_margin_loss, ["input", "target"], ["weight"], [],
                                    ["input", "target", "weight"]),  # a composite: all three differentiated
    "hinge_embedding_loss": (F.hinge_embedding_loss, ["input", "target"], [], ["margin"], ["input"]),
    "margin_ranking_loss": (F.margin_ranking_loss, ["input1", "input2", "target"], [], ["margin"],
                            ["input1", "input2", "target"]),  # an int64 target has no gradient (see wrt)
    "multi_margin_loss": (multi_margin_loss, ["input", "target"], ["weight"], ["p", "margin"], ["input"]),
    "triplet_margin_loss": (F.triplet_margin_loss, ["anchor", "positive", "negative"], [],
                            ["margin", "p", "eps", "swap"], ["anchor", "positive", "negative"]),
    # distance_function names the callable (docs/format.md): see DISTANCE_FUNCTIONS; no legacy flags
    "triplet_margin_with_distance_loss": (F.triplet_margin_with_distance_loss, ["anchor", "positive", "negative"],
                                          [], ["distance_function", "margin", "swap"],
                                          ["anchor", "positive", "negative"]),
    "multilabel_margin_loss": (multilabel_margin_loss, ["input", "target"], [], [], ["input"]),
    "poisson_nll_loss": (F.poisson_nll_loss, ["input", "target"], [], ["log_input", "full", "eps"],
                         ["input", "target"]),  # a composite: the target is differentiated too
    # var is positional (input, target, var); no legacy flags; the clamp's gradient passes to var as the identity
    "gaussian_nll_loss": (F.gaussian_nll_loss, ["input", "target", "var"], [], ["full", "eps"],
                          ["input", "target", "var"]),
    # int64 targets and lengths; no legacy flags; torch's gradient of log_probs is e^log_probs - occupancy
    "ctc_loss": (ctc_loss, ["log_probs", "targets", "input_lengths", "target_lengths"], [],
                 ["blank", "zero_infinity"], ["log_probs"]),
}
# The callables a case's "distance_function" string names for triplet_margin_with_distance_loss (null: torch's
# default, pairwise_distance).
DISTANCE_FUNCTIONS = {
    "pairwise_distance": F.pairwise_distance,
    "cosine": lambda x, y: 1.0 - F.cosine_similarity(x, y, dim=-1),
}
NO_LEGACY_FLAGS = {"triplet_margin_with_distance_loss", "gaussian_nll_loss", "ctc_loss"}  # not in its signature: refused here as an unknown option
COMMON_OPTIONS = ["reduction", "size_average", "reduce"]  # F.huber_loss rejects the legacy two itself (TypeError)
DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16, "float16": torch.float16}


class RawFloat(str):
    """A JSON number with a fraction or exponent, kept as its text so it can be rounded once to the target dtype."""


class CaseError(Exception):
    """The case is valid JSON but not a valid case."""


def reject_constant(name):
    raise ValueError(f"{name} is not JSON (write \"nan\", \"inf\", \"-inf\")")


def decimal_to_float32(text):
    """Round a decimal string correctly (to nearest, ties to even) to float32.

    numpy.float32(str) goes through float64 and can round twice; that is only wrong when the float64 value lands
    exactly on a midpoint between two float32 values, so only then is the exact decimal consulted."""
    d = float(text)  # correctly rounded to float64; overflows only far beyond float32's range
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


def parse_number(value, dtype):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CaseError(f"float data must be numbers or \"nan\"/\"inf\"/\"-inf\", got {json.dumps(value)}")
    if isinstance(value, str) and not isinstance(value, RawFloat) and value not in ("nan", "inf", "-inf"):
        raise CaseError(f"bad float value {json.dumps(value)}")
    text = str(value)
    # the half dtypes: a case holds their values exactly or as the shortest decimal that rounds to one (docs/format.md),
    # which float64 holds close enough that torch's conversion lands on that value
    return float(text) if dtype in ("float64", "bfloat16", "float16") else float(decimal_to_float32(text))


def make_tensor(name, obj, case_dtype):
    if not isinstance(obj, dict) or not isinstance(obj.get("shape"), list) or not isinstance(obj.get("data"), list):
        raise CaseError(f"input '{name}' must be an object with 'shape' and 'data' arrays")
    shape = obj["shape"]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise CaseError(f"input '{name}': shape must hold non-negative integers")
    dtype = obj.get("dtype", case_dtype)
    if dtype not in ("int64", case_dtype):
        raise CaseError(f"input '{name}': dtype {json.dumps(dtype)} is neither int64 nor the case's {case_dtype}")
    if len(obj["data"]) != math.prod(shape):
        raise CaseError(f"input '{name}': {len(obj['data'])} values for shape {shape}")
    if dtype == "int64":
        data = obj["data"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63 for v in data):
            raise CaseError(f"input '{name}': int64 data must be integers in range")
        return torch.tensor(data, dtype=torch.long).reshape(shape)
    data = [parse_number(v, dtype) for v in obj["data"]]
    if dtype in ("bfloat16", "float16"):
        return torch.tensor(data, dtype=torch.float64).to(DTYPES[dtype]).reshape(shape)
    return torch.tensor(data, dtype=DTYPES[dtype]).reshape(shape)


def make_option(name, value, loss=""):
    if name in ("size_average", "reduce", "log_target", "swap", "log_input", "full", "zero_infinity"):
        if value is not None and not isinstance(value, bool):
            raise CaseError(f"option '{name}' must be a boolean")
        return value
    if name == "distance_function":
        if value is None:
            return None
        if not isinstance(value, str) or isinstance(value, RawFloat) or value not in DISTANCE_FUNCTIONS:
            raise CaseError(f"option 'distance_function' must be null or one of {', '.join(DISTANCE_FUNCTIONS)}")
        return DISTANCE_FUNCTIONS[value]
    if name == "reduction":
        if not isinstance(value, str) or isinstance(value, RawFloat):
            raise CaseError("option 'reduction' must be a string")
        return str(value)
    if name in ("ignore_index", "blank") or (name == "p" and loss == "multi_margin_loss"):  # triplet_margin_loss's p: a number
        if not isinstance(value, int) or isinstance(value, bool):
            raise CaseError(f"option '{name}' must be an integer")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, RawFloat)):  # label_smoothing, margin
        raise CaseError(f"option '{name}' must be a number")
    return float(value)


def format_float(x, dtype):
    if math.isnan(x):
        return '"nan"'
    if math.isinf(x):
        return '"inf"' if x > 0 else '"-inf"'
    # float64 and the half dtypes: the value itself (a half value is a float64 value exactly)
    return str(np.float32(x)) if dtype == "float32" else repr(x)


def format_tensor(t):
    dtype = str(t.dtype).replace("torch.", "")
    data = ", ".join(format_float(x, dtype) for x in t.detach().reshape(-1).tolist())
    return f'{{"shape": {json.dumps(list(t.shape))}, "dtype": "{dtype}", "data": [{data}]}}'


def format_json(value):
    """json.dumps, except that RawFloat numbers are written back as the text they were read from."""
    if isinstance(value, RawFloat):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {format_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def evaluate(case):
    """Returns (output, {name: grad}) or raises CaseError / a torch exception."""
    loss = case.get("loss")
    if loss not in LOSSES:
        raise CaseError(f"unknown loss {json.dumps(loss)}")
    fn, required, optional, extra_options, grad_names = LOSSES[loss]
    dtype = case.get("dtype", "float32")
    if dtype not in DTYPES:
        raise CaseError(f"dtype must be float32, float64, bfloat16 or float16, got {json.dumps(dtype)}")
    options = case.get("options") if case.get("options") is not None else {}
    inputs = case.get("inputs")
    if not isinstance(options, dict) or not isinstance(inputs, dict):
        raise CaseError("'options' and 'inputs' must be objects")
    kwargs = {}
    for name, value in options.items():
        common = ["reduction"] if loss in NO_LEGACY_FLAGS else COMMON_OPTIONS
        if name not in common + extra_options:
            raise CaseError(f"unknown option '{name}'")
        kwargs[name] = make_option(name, value, loss)
    for name in inputs:
        if name not in required + optional:
            raise CaseError(f"unknown input '{name}'")
    tensors = {}
    for name in required + optional:
        if inputs.get(name) is not None:
            tensors[name] = make_tensor(name, inputs[name], dtype)
        elif name in required:
            raise CaseError(f"missing input '{name}'")
    if loss == "cross_entropy" and tensors["target"].is_floating_point():
        grad_names = ["input", "target", "weight"]  # probability targets: composite ops, all differentiable
    wrt = [n for n in grad_names if n in tensors and tensors[n].is_floating_point()]
    for name in wrt:
        tensors[name].requires_grad_(True)

    positional = [tensors[n] for n in required]
    output = fn(*positional, **{n: tensors[n] for n in optional if n in tensors}, **kwargs)

    grad_output = case.get("grad_output")
    grad_output = torch.ones_like(output) if grad_output is None else make_tensor("grad_output", grad_output, dtype)
    if output.requires_grad:
        grads = torch.autograd.grad(output, [tensors[n] for n in wrt], grad_output, allow_unused=True)
    else:
        grads = [None] * len(wrt)
    return output, {n: torch.zeros_like(tensors[n]) if g is None else g for n, g in zip(wrt, grads)}


def result_line(case):
    case_id = case.get("id") if isinstance(case, dict) else None
    head = f'{{"id": {format_json(case_id)}, '
    loss = case.get("loss") if isinstance(case, dict) else None
    loss = loss if isinstance(loss, str) else "case"
    try:
        if not isinstance(case, dict):
            raise CaseError("a case must be a JSON object")
        output, grads = evaluate(case)
    except Exception as e:  # CaseError and whatever torch raises (RuntimeError, ValueError, IndexError, ...)
        message = (str(e).strip().splitlines() or [type(e).__name__])[0]
        if isinstance(e, RuntimeError) and "not implemented for" in message:  # no half kernel: not torch's rejection
            return head + f'"unsupported": {json.dumps(f"{loss}: {message}")}}}'
        return head + f'"error": {json.dumps(f"{loss}: {message}")}}}'
    grad_text = ", ".join(f"{json.dumps(n)}: {format_tensor(g)}" for n, g in grads.items())
    return head + f'"output": {format_tensor(output)}, "grads": {{{grad_text}}}}}'


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for line_number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line, parse_float=RawFloat, parse_constant=reject_constant)
        except ValueError as e:
            print(f"torch_exec.py: line {line_number}: malformed JSON: {e}", file=sys.stderr)
            sys.exit(2)
        sys.stdout.write(result_line(case) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
