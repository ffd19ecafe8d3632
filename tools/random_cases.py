"""Generate random losscheck cases (docs/format.md) as JSON lines.

Usage:
    /usr/bin/python3 tools/random_cases.py --seed S --count N [--loss mse_loss,kl_div,...] [--describe]

Prints N cases with ids 0..N-1, spread over the losses (or those given with --loss), both dtypes and every
option: each reduction (with "elementwise_mean", "batchmean" for kl_div and the legacy size_average/reduce flags in
all combinations, null included), optional weights, pos_weight with broadcasting shapes, every kind of ignore_index,
label smoothing, class-index and probability targets, shapes (C), (N,C), (N,C,d1), (N,C,d1,d2) with N=0 and N=1,
broadcasting inputs, grad_output (random, or omitted) and value regimes from ordinary to large logits, probabilities
at 0 and 1, zero vectors and zeros in KL targets. About 10% of the cases are invalid ones torch rejects.

Values are drawn in the case's dtype and written in their shortest exact form, so every reader sees the same tensor.
The same seed gives the same cases (Python's random.Random; numpy only rounds). --describe writes one line per case
to stderr saying what was drawn (and which rule an invalid case breaks).
"""

import argparse
import json
import math
import random
import sys

import numpy as np

LOSSES = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
          "kl_div", "cosine_embedding_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
          "multilabel_soft_margin_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
          "triplet_margin_loss", "triplet_margin_with_distance_loss", "multilabel_margin_loss", "poisson_nll_loss",
          "gaussian_nll_loss", "ctc_loss"]
INVALID_KINDS = {  # rules torch enforces, by loss; every loss can also get a bad reduction string or "batchmean"
    "mse_loss": ["shape"],
    "binary_cross_entropy": ["shape", "input_range", "weight_size"],
    "binary_cross_entropy_with_logits": ["shape", "weight_size"],
    "cross_entropy": ["shape", "target_range", "weight_size", "label_smoothing", "prob_ignore_index"],
    "nll_loss": ["shape", "target_range", "weight_size"],
    "kl_div": ["shape"],
    "cosine_embedding_loss": ["shape"],
    "l1_loss": ["shape"],
    "smooth_l1_loss": ["shape", "beta"],
    "huber_loss": ["shape", "delta"],
    "soft_margin_loss": ["shape"],
    "multilabel_soft_margin_loss": ["shape", "scalar_input"],
    "hinge_embedding_loss": ["shape"],
    "margin_ranking_loss": ["shape", "dims"],
    "triplet_margin_loss": ["shape"],
    "triplet_margin_with_distance_loss": ["shape"],
    "multi_margin_loss": ["shape", "target_range", "p"],
    "multilabel_margin_loss": ["shape", "target_range"],
    "poisson_nll_loss": ["shape"],
    "gaussian_nll_loss": ["shape", "var_size", "var_negative"],
    "ctc_loss": ["shape", "input_length", "target_length", "blank"],
}


class Raw(str):
    """Text written into the JSON as is (a number already formatted for its dtype)."""


def to_json(value):
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


class Gen:
    """Random draws for one case: shapes, values rounded to the case's dtype, tensors in the wire format."""

    def __init__(self, rng, dtype):
        self.rng, self.dtype, self.notes = rng, dtype, []

    def note(self, text):
        self.notes.append(text)

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, *items):
        return self.rng.choice(items)

    def round(self, x):
        return float(np.float32(x)) if self.dtype == "float32" else float(x)

    def tensor(self, shape, values):
        """A float tensor; its "dtype" is stated on some tensors and left implicit on others."""
        assert len(values) == math.prod(shape)
        data = []
        for v in values:
            v = self.round(v)
            if math.isnan(v) or math.isinf(v):
                data.append("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
            else:
                data.append(Raw(str(np.float32(v)) if self.dtype == "float32" else repr(v)))
        t = {"shape": list(shape)}
        if self.chance(0.3):
            t["dtype"] = self.dtype
        t["data"] = data
        return t

    @staticmethod
    def int_tensor(shape, values):
        return {"shape": list(shape), "dtype": "int64", "data": list(values)}

    # value regimes
    def ordinary(self, n):
        scale = self.pick(1.0, 1.0, 3.0, 1e-3)
        return [self.pick(0.0, -0.0, 1.0, -2.0, 0.5) if self.chance(0.05) else self.rng.gauss(0, scale)
                for _ in range(n)]

    def large(self, n):
        return [self.pick(-1, 1) * 10 ** self.rng.uniform(math.log10(50), 3) for _ in range(n)]

    def logits(self, n):
        regime = self.pick("ordinary", "ordinary", "large", "mixed")
        self.note(f"{regime} values")
        if regime == "mixed":
            return [a if self.chance(0.7) else b for a, b in zip(self.ordinary(n), self.large(n))]
        return self.large(n) if regime == "large" else self.ordinary(n)

    def probabilities(self, n, edges=0.3):
        """Values in [0,1]; with probability `edges` each is 0, 1 or next to them."""
        one_minus = 1 - 2.0 ** -24 if self.dtype == "float32" else 1 - 2.0 ** -53
        return [self.pick(0.0, 1.0, 1e-7, 1e-30, 1 - 1e-7, one_minus) if self.chance(edges) else self.rng.random()
                for _ in range(n)]

    def shape(self, max_rank=3, max_dim=5, allow_zero=True):
        rank = self.rng.randint(0, max_rank)
        return [self.rng.randint(0 if allow_zero and self.chance(0.1) else 1, max_dim) for _ in range(rank)]

    def vary_shape(self, shape):
        """A shape that does not broadcast with `shape` (which must have a dim); may first grow a dim of `shape`
        from 0 or 1 to 2, in place, since a dim of 1 broadcasts with anything."""
        i = self.rng.randrange(len(shape))
        shape[i] = max(shape[i], 2)
        return shape[:i] + [shape[i] + 1 if shape[i] < 6 else shape[i] - 1] + shape[i + 1:]

    def broadcast_partner(self, shape):
        """A different shape that broadcasts with `shape` to `shape`: a dim set to 1 or leading dims dropped."""
        if not shape:
            return [1]
        if self.chance(0.5):
            return shape[self.rng.randint(1, len(shape)):]
        i = self.rng.randrange(len(shape))
        return shape[:i] + [1] + shape[i + 1:]


INCLUDE_DIVERGENCES = False


def reduction_options(g, loss, bad):
    """The reduction options; returns the reduction torch will apply."""
    if bad == "bad_reduction":
        r = g.pick("bogus", "Mean", "average", "", "batch_mean")
        return {"reduction": r}, r
    if bad == "batchmean":
        return {"reduction": "batchmean"}, "batchmean"
    names = ["mean", "sum", "none", "elementwise_mean"] + ["batchmean"] * 2 * (loss == "kl_div")
    if loss in ("poisson_nll_loss", "gaussian_nll_loss"):  # functional.py compares the string: no deprecated alias
        names = ["mean", "sum", "none"]
    form = g.pick("default", "reduction", "reduction", "legacy")
    # F.huber_loss, F.triplet_margin_with_distance_loss and F.gaussian_nll_loss have no size_average / reduce
    if form == "legacy" and loss in ("huber_loss", "triplet_margin_with_distance_loss", "gaussian_nll_loss",
                                     "ctc_loss"):
        form = "reduction"
    if form == "default":
        return {}, "mean"
    if form == "reduction":
        r = g.pick(*names)
        return {"reduction": r}, r
    options = {"reduction": g.pick(*names)} if g.chance(0.3) else {}
    for flag in ("size_average", "reduce"):
        value = g.pick(True, False, None, "absent")
        if value != "absent":
            options[flag] = value
    size_average, reduce = options.get("size_average"), options.get("reduce")
    if size_average is None and reduce is None:
        return options, options.get("reduction", "mean")
    if reduce is False:
        return options, "none"
    return options, "sum" if size_average is False else "mean"


def gen_mse(g, opts, bad):
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape)
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape)
        if g.chance(0.5):
            shape, target_shape = target_shape, shape
        g.note(f"broadcast {shape} vs {target_shape}")
    inputs = {"input": g.tensor(shape, g.logits(math.prod(shape))),
              "target": g.tensor(target_shape, g.logits(math.prod(target_shape)))}
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(target_shape))) if bad is None else shape


def gen_l1_family(g, opts, bad, loss):
    """l1_loss, smooth_l1_loss (beta) and huber_loss (delta): mse_loss's shapes and values, some differences exactly
    0 (ties) and, for the last two, some exactly at +-beta / +-delta (the kink). beta and delta are float32 numbers
    (ATen's forward uses them in the case's dtype); invalid ones (beta < 0, delta <= 0) where `bad` asks."""
    option = {"smooth_l1_loss": "beta", "huber_loss": "delta"}.get(loss)
    kink = 1.0
    if option and bad != "shape":
        if bad == option:
            value = g.pick(-1.0, -0.5) if option == "beta" else g.pick(0.0, -1.0, -0.0)
        else:
            value = g.pick(1.0, 0.5, 2.0, float(np.float32(0.1)), 1024.0) if option == "delta" else \
                g.pick(1.0, 0.0, 0.5, 2.0, float(np.float32(0.1)), 1024.0)
        if g.chance(0.8) or bad == option:
            opts[option] = Raw(repr(value))
            kink = value
        g.note(f"{option} {opts.get(option, 'default')}")
    inputs, out_shape = gen_mse(g, opts, None if bad == option else bad)
    x, t = inputs["input"], inputs["target"]
    if bad is None and x["shape"] == t["shape"] and g.chance(0.4):
        g.note("ties x = t and differences at the kink")
        for i in range(len(x["data"])):
            k = g.rng.randrange(3)
            if k == 0:
                t["data"][i] = x["data"][i]
            elif k == 1 and option and isinstance(x["data"][i], Raw):  # finite (non-finite values are plain strings)
                v = g.round(float(x["data"][i]) - g.pick(kink, -kink))
                t["data"][i] = Raw(str(np.float32(v)) if g.dtype == "float32" else repr(v))
    return inputs, out_shape


def bce_weight(g, shape, bad):
    """weight (or pos_weight) shapes that broadcast into `shape`: same, last dim only, (N,1), () or (1,)."""
    if bad == "weight_size":
        return (shape[:-1] + [shape[-1] + 1]) if g.chance(0.5) else [shape[-1] + 1]
    options = [list(shape), []] + ([shape[-1:], [1]] if shape else [])
    if len(shape) >= 2:
        options.append(shape[:-1] + [1])
    return g.pick(*options)


def gen_bce(g, opts, bad, logits):
    shape = g.shape()
    if bad in ("input_range", "weight_size") and (not shape or 0 in shape):
        shape = [g.rng.randint(1, 4), g.rng.randint(1, 4)]
    target_shape = g.vary_shape(shape) if bad == "shape" and shape else ([1] + shape if bad == "shape" else shape)
    n = math.prod(shape)
    x = g.logits(n) if logits else g.probabilities(n)
    if bad == "input_range":
        x[g.rng.randrange(n)] = g.pick(1.5, -0.1, 1.0000002, -1e-30, float("nan"), 3.0)
    kind = g.pick("probabilities", "zeros and ones", "outside [0,1]") if g.chance(0.5) else "probabilities"
    g.note(f"{kind} targets")
    m = math.prod(target_shape)
    if kind == "zeros and ones":
        y = [g.pick(0.0, 1.0) for _ in range(m)]
    elif kind == "outside [0,1]":
        y = [g.rng.uniform(-1.5, 2.5) for _ in range(m)]
    else:
        y = g.probabilities(m)
    inputs = {"input": g.tensor(shape, x), "target": g.tensor(target_shape, y)}
    weight_names = ["weight", "pos_weight"] if logits else ["weight"]
    for name in weight_names:
        if g.chance(0.4) or (bad == "weight_size" and name == weight_names[-1]):
            ws = bce_weight(g, shape, bad if name == weight_names[-1] else None)
            g.note(f"{name} {ws}")
            inputs[name] = g.tensor(ws, [g.pick(0.0, 1.0) if g.chance(0.15) else g.rng.uniform(0.1, 3)
                                         for _ in range(math.prod(ws))])
        elif g.chance(0.1):
            inputs[name] = None
    return inputs, shape


def class_layout(g):
    """(input shape, index-target shape, class dim) for (C), (N,C), (N,C,d1) or (N,C,d1,d2)."""
    c = g.rng.randint(1, 5)
    rank = g.pick(1, 2, 2, 3, 4)
    if rank == 1:
        return [c], [], 0
    n = g.pick(0, 1, 1, 2, 3, 4)
    extra = [g.rng.randint(1, 3) for _ in range(rank - 2)]
    return [n, c] + extra, [n] + extra, 1


def class_weight(g, c, bad, spatial):
    if bad == "weight_size":  # with spatial dims torch checks only weight.numel() == C, so (1,C) passes there
        shape = g.pick([c + 1], [c - 1] if c > 1 else [c + 2], [c + 1] if spatial else [1, c])
        g.note(f"weight {shape} for {c} classes")
    else:
        shape = [c]
    kind = g.pick("positive", "positive", "with zeros", "all zero")
    g.note(f"{kind} weight")
    values = [0.0 if kind == "all zero" or (kind == "with zeros" and g.chance(0.4)) else g.rng.uniform(0.1, 3)
              for _ in range(math.prod(shape))]
    return g.tensor(shape, values)


def index_targets(g, opts, c, target_shape, bad, default_ignore=-100):
    """Class-index targets with ignore_index absent, negative, in range or >= C; some targets set to it."""
    kind = g.pick("absent", "negative", "in range", ">= C")
    ignore = {"absent": default_ignore, "negative": g.pick(-1, -7, -100),
              "in range": g.rng.randrange(c), ">= C": c + g.rng.randint(0, 2)}[kind]
    if kind != "absent":
        opts["ignore_index"] = ignore
    n = math.prod(target_shape)
    share = g.pick(0.0, 0.0, 0.3, 1.0)  # how many targets are set to ignore_index (all of them sometimes)
    values = [ignore if g.chance(share) else g.rng.randrange(c) for _ in range(n)]
    g.note(f"ignore_index {kind} ({ignore}), {sum(v == ignore for v in values)}/{n} ignored")
    if bad == "target_range":
        bad_value = g.pick(c, c + 3, -1, -2)
        if bad_value == ignore:
            bad_value = c + 4 if ignore != c + 4 else -3
        values[g.rng.randrange(n)] = bad_value
        g.note(f"target {bad_value} out of range")
    return g.int_tensor(target_shape, values)


def gen_class_loss(g, opts, bad, loss):
    input_shape, target_shape, class_dim = class_layout(g)
    if bad in ("target_range", "prob_ignore_index", "shape") and 0 in input_shape:
        input_shape[0], target_shape[0] = 2, 2
    c = input_shape[class_dim]
    probability = loss == "cross_entropy" and bad != "target_range" and (bad == "prob_ignore_index" or g.chance(0.35))
    g.note(f"input {input_shape}, {'probability' if probability else 'class-index'} targets")
    n = math.prod(input_shape)
    x = g.logits(n)
    if loss == "nll_loss" and g.chance(0.6):  # log-probabilities, as nll_loss expects (but does not check)
        arr = np.array(x, dtype=np.float64).reshape(input_shape)
        x = list((arr - np.log(np.sum(np.exp(arr - arr.max(class_dim, keepdims=True)), class_dim, keepdims=True))
                  - arr.max(class_dim, keepdims=True)).reshape(-1))
    inputs = {"input": g.tensor(input_shape, x)}
    if probability:
        shape = g.vary_shape(list(input_shape)) if bad == "shape" else input_shape
        kind = g.pick("softmax", "one-hot", "unnormalized", "with zeros")
        g.note(f"{kind} probability targets")
        arr = np.array(g.ordinary(math.prod(shape)) if kind != "unnormalized" else g.probabilities(math.prod(shape)))
        arr = arr.reshape(shape) * 3
        if kind == "softmax" or kind == "with zeros":
            arr = np.exp(arr - arr.max(class_dim, keepdims=True)) if arr.size else arr
            if kind == "with zeros":
                arr = arr * (np.array(g.probabilities(arr.size, 0)).reshape(arr.shape) > 0.4)
            arr = arr / np.maximum(arr.sum(class_dim, keepdims=True), 1e-300)
        elif kind == "one-hot":
            arr = (arr == arr.max(class_dim, keepdims=True)).astype(float)
        inputs["target"] = g.tensor(shape, list(arr.reshape(-1)))
        if bad == "prob_ignore_index":
            opts["ignore_index"] = g.rng.randint(0, c + 1)
        elif g.chance(0.3):
            opts["ignore_index"] = g.pick(-1, -100, -5)
        out_shape = input_shape[:class_dim] + input_shape[class_dim + 1:]
    else:
        shape = target_shape
        if bad == "shape":
            shape = g.pick([target_shape[0] + 1] + target_shape[1:], target_shape + [2]) if target_shape else [c + 1]
            g.note(f"target shape {shape}")
        elif INCLUDE_DIVERGENCES and loss == "nll_loss" and not target_shape and bad is None and g.chance(0.2):
            shape = [c]  # quirk: accepted, and only target[0] is read (no-batch path); the output is 0-D
            g.note("1-D target of size C against 1-D input")
        inputs["target"] = index_targets(g, opts, c, shape, bad)
        out_shape = target_shape
    if g.chance(0.4) or bad == "weight_size":
        inputs["weight"] = class_weight(g, c, bad, len(input_shape) > 2)
    if loss == "cross_entropy":
        if bad == "label_smoothing":
            opts["label_smoothing"] = Raw(repr(round(g.pick(1.0001, 1.5, 2.0, g.rng.uniform(1.01, 3)), 4)))
        elif g.chance(0.5):
            opts["label_smoothing"] = Raw(repr(g.pick(0.0, 1.0, -0.25, round(g.rng.uniform(0, 1), 3),
                                                      round(g.rng.uniform(0, 0.3), 3))))
    return inputs, out_shape


def gen_kl(g, opts, bad):
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape)
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape)
        if g.chance(0.5):
            shape, target_shape = target_shape, shape
        g.note(f"broadcast {shape} vs {target_shape}")
    log_target = g.pick(False, False, True, None)
    if log_target is not None:
        opts["log_target"] = log_target
    n, m = math.prod(shape), math.prod(target_shape)
    x = [math.log(p) if p > 0 else -1e3 for p in g.probabilities(n, 0.1)] if g.chance(0.6) else g.logits(n)
    t = g.probabilities(m, 0.4)  # zeros included
    if g.chance(0.1):
        t = [-v if g.chance(0.2) else v for v in t]  # a few negative targets (NaN in torch)
    if log_target:
        # Log-targets stay below 80 so that e^t is finite in float32: beyond that torch's float32 intermediate e^t
        # overflows where the exact result is finite, and the comparison with torch would measure torch's overflow
        # (the property suite checks that regime against the reference).
        t = [math.log(v) if v > 0 else g.pick(float("-inf"), -1e3, -50.0) for v in t] if g.chance(0.7) \
            else [min(v, 80.0) for v in g.logits(m)]
    g.note(f"kl log_target={log_target}")
    if not INCLUDE_DIVERGENCES and n * m == 0 and t and bad is None:
        # an empty broadcast: torch forms xlogy(t, t) and e^t on the target's own shape, and a target 0 (t / t), a
        # negative one or e^t beyond the range meets the zero gradient as NaN where losscheck returns the empty sum 0
        # (docs/torch-quirks.md, "Where losscheck deliberately differs")
        t = [0.5] * m
    inputs = {"input": g.tensor(shape, x), "target": g.tensor(target_shape, t)}
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(target_shape))) if bad is None else shape


def gen_poisson(g, opts, bad):
    """poisson_nll_loss: log-rates (log_input) or rates (mostly >= 0), counts 0..10 (some non-integer, a few
    negative: the Stirling mask at t <= 1 and its NaN target gradient with full), broadcasting both ways, eps."""
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape)
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape)
        if g.chance(0.5):
            shape, target_shape = target_shape, shape
        g.note(f"broadcast {shape} vs {target_shape}")
    log_input = g.pick(True, False, None)
    if log_input is not None:
        opts["log_input"] = log_input
    full = g.pick(True, False, None)
    if full is not None:
        opts["full"] = full
    if g.chance(0.15):
        opts["eps"] = Raw(repr(g.pick(1e-6, 0.25, 0.0)))
    n, m = math.prod(shape), math.prod(target_shape)
    # e^x stays finite in float32 (|x| < 80): beyond, torch's float32 e^x overflows where the exact loss may be finite
    x = [max(min(v, 80.0), -80.0) for v in g.logits(n)] if log_input is not False \
        else [abs(v) if g.chance(0.9) else v for v in g.ordinary(n)]
    t = [float(g.rng.randint(0, 10)) + (0.5 if g.chance(0.2) else 0.0) if g.chance(0.8) else g.rng.gauss(0, 3)
         for _ in range(m)]
    g.note(f"poisson log_input={log_input} full={full}")
    if not INCLUDE_DIVERGENCES and n * m == 0 and x and bad is None:
        x = [1.0] * n  # an empty broadcast: log(x + eps) at x + eps = 0 would meet the zero gradient as 0 / 0
    inputs = {"input": g.tensor(shape, x), "target": g.tensor(target_shape, t)}
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(target_shape))) if bad is None else shape


def gen_gaussian(g, opts, bad):
    """gaussian_nll_loss: var of the input's shape, without its last dimension or with a last dimension of 1; values
    positive, 0, at and below eps; the target broadcasting both ways; full and eps; invalid var sizes and values."""
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape)
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape)
        if g.chance(0.5):
            shape, target_shape = target_shape, shape
        g.note(f"broadcast {shape} vs {target_shape}")
    kind = g.pick("same", "same", "without_last", "last_one")
    var_shape = list(shape) if kind == "same" else shape[:-1] + ([1] if kind == "last_one" else [])
    if bad == "var_size":
        var_shape = list(shape) + [2]
    g.note(f"var {kind} {var_shape}")
    if g.chance(0.3):
        opts["full"] = g.pick(True, False)
    eps = 1e-6
    if g.chance(0.15):
        eps = g.pick(1e-3, 0.5)
        opts["eps"] = Raw(repr(eps))
    v = [g.pick(0.0, eps * 0.5, eps, eps * 2, 1e-9) if g.chance(0.2) else abs(g.rng.gauss(0, 2))
         for _ in range(math.prod(var_shape))]
    if bad == "var_negative" and v:
        v[g.rng.randrange(len(v))] = -0.5
    inputs = {"input": g.tensor(shape, g.logits(math.prod(shape))),
              "target": g.tensor(target_shape, g.logits(math.prod(target_shape))), "var": g.tensor(var_shape, v)}
    if bad is not None:
        return inputs, shape
    var_b = var_shape + [1] if kind == "without_last" and var_shape != list(shape) else var_shape
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(target_shape), tuple(var_b)))


def gen_cosine(g, opts, bad):
    d = g.rng.randint(1, 5)
    one_d = g.chance(0.2)
    n = g.pick(0, 1, 2, 3, 4, 5) if not bad else g.rng.randint(2, 4)
    s1 = s2 = [d] if one_d else [n, d]
    ts = [] if one_d else [n]
    if bad == "shape":
        kind = g.pick("dim", "target rank", "target size", "input rank")
        g.note(f"bad shape: {kind}")
        if kind == "dim":
            s1 = s1[:-1] + [max(d, 2)]  # (a dim of 1 would broadcast)
            s2 = s1[:-1] + [max(d, 2) + 1]
        elif kind == "target rank":
            ts = [1] if one_d else [n, 1]
        elif kind == "target size":
            ts = [] if not one_d and g.chance(0.5) else [n + 1]
            if one_d:
                ts = [2]
        elif g.chance(0.5):  # 3-D inputs: multi-target
            s1 = s2 = [2, n, d]
            ts = [2, n]
        else:  # 1-D against 2-D
            s1, s2, ts = [d], [n, d], [n]
    elif not one_d and g.chance(0.25):
        which = g.pick("input1", "input2", "target")
        if which == "target":
            ts = [1]
        elif which == "input1":
            s1 = [1, d]
        else:
            s2 = [1, d]
        g.note(f"{which} broadcast")
    def vectors(shape):
        v = g.logits(math.prod(shape))
        if shape and g.chance(0.3):  # zero vectors
            k = shape[-1]
            for r in range(math.prod(shape[:-1])):
                if g.chance(0.5):
                    v[r * k:(r + 1) * k] = [0.0] * k
        return v
    targets = g.pick([1.0, -1.0], [1.0, -1.0], [1.0, -1.0, 0.0], [1.0, -1.0, 0.5, 2.0, -3.0, 0.0])
    inputs = {"input1": g.tensor(s1, vectors(s1)), "input2": g.tensor(s2, vectors(s2)),
              "target": g.tensor(ts, [g.pick(*targets) for _ in range(math.prod(ts))])}
    if g.chance(0.6):
        opts["margin"] = Raw(repr(g.pick(0.0, 0.5, -0.5, 1.0, round(g.rng.uniform(-1, 1), 3))))
    return inputs, [] if one_d or bad else list(np.broadcast_shapes((s1[0],), (s2[0],), tuple(ts)))


def gen_soft_margin(g, opts, bad):
    """soft_margin_loss: the target as the input's shape or broadcasting to it (never enlarging it); ±1 labels or any
    values in (-1, 1). |y x| stays below 80: beyond 88.7 torch's float32 log(1 + exp(-y x)) overflows to inf where the
    value is finite (docs/torch-quirks.md; the property suite covers that regime)."""
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape) if g.chance(0.5) else [2] + shape  # not broadcastable, or enlarging
        g.note(f"bad shapes {shape} vs {target_shape}")
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape) if shape else []
        g.note(f"target {target_shape} broadcast to {shape}")
    x = [v if abs(v) < 80 else math.copysign(g.rng.uniform(40, 80), v) for v in g.logits(math.prod(shape))]
    n = math.prod(target_shape)
    labels = g.chance(0.7)
    g.note("±1 targets" if labels else "targets in (-1, 1)")
    y = [g.pick(1.0, -1.0) for _ in range(n)] if labels else [g.rng.uniform(-1, 1) for _ in range(n)]
    return {"input": g.tensor(shape, x), "target": g.tensor(target_shape, y)}, shape


def gen_multilabel(g, opts, bad):
    """multilabel_soft_margin_loss: (C), (N, C) or (N, d, C) logits; targets 0/1, probabilities or other values, as
    the input's shape or (C) for every row; weights (C), full or (N, 1). Its 'elementwise_mean' is invalid
    (functional.py compares the string itself): such draws become 'mean' unless the case is meant to be invalid."""
    if opts.get("reduction") == "elementwise_mean" and not bad:
        opts["reduction"] = "mean"
    c = g.rng.randint(0 if g.chance(0.05) else 1, 5)
    n = g.pick(0, 1, 2, 3, 4)
    shape = g.pick([c], [n, c], [n, c], [n, g.rng.randint(1, 3), c])
    if bad == "scalar_input":
        shape = []
    target_shape = list(shape)
    if bad == "shape":
        shape = shape if shape and shape[-1] > 0 else [2, 3]
        target_shape = shape[:-1] + [shape[-1] + 1]
    elif len(shape) >= 2 and g.chance(0.2):
        target_shape = shape[-1:]
        g.note(f"target {target_shape} for every row")
    x = g.logits(math.prod(shape))
    kind = g.pick("zeros and ones", "zeros and ones", "probabilities", "other values")
    m = math.prod(target_shape)
    y = [float(g.pick(0, 1)) for _ in range(m)] if kind == "zeros and ones" else \
        (g.probabilities(m) if kind == "probabilities" else [g.rng.uniform(-1, 2) for _ in range(m)])
    g.note(f"{kind} targets, input {shape}")
    inputs = {"input": g.tensor(shape, x), "target": g.tensor(target_shape, y)}
    if shape and g.chance(0.4):
        ws = g.pick(shape[-1:], list(shape), (shape[:-1] + [1]) if len(shape) >= 2 else shape[-1:])
        inputs["weight"] = g.tensor(ws, [g.rng.uniform(-0.5, 2) for _ in range(math.prod(ws))])
        g.note(f"weight {ws}")
    return inputs, shape[:-1]


def gen_hinge(g, opts, bad):
    """hinge_embedding_loss: input and target broadcast either way; ±1 labels (float or int64) and other targets
    (both branches); margins; some inputs exactly at the kink x = margin."""
    shape = g.shape()
    target_shape = list(shape)
    if bad == "shape":
        shape = shape or [g.rng.randint(1, 4)]
        target_shape = g.vary_shape(shape)
    elif g.chance(0.25):
        target_shape = g.broadcast_partner(shape)
        if g.chance(0.5):
            shape, target_shape = target_shape, shape
        g.note(f"broadcast {shape} vs {target_shape}")
    margin = 1.0
    if g.chance(0.6):
        margin = g.pick(0.0, 0.5, -0.5, 2.0, 1.0, round(g.rng.uniform(-1, 2), 3))
        opts["margin"] = Raw(repr(margin))
    x = g.logits(math.prod(shape))
    x = [g.round(margin) if g.chance(0.1) else v for v in x]  # the kink
    n = math.prod(target_shape)
    values = g.pick([1, -1], [1, -1], [1, -1, 0, 2])
    if g.chance(0.3):
        g.note("int64 targets")
        return {"input": g.tensor(shape, x), "target": g.int_tensor(target_shape, [g.pick(*values) for _ in range(n)])}, \
            list(np.broadcast_shapes(tuple(shape), tuple(target_shape))) if bad is None else shape
    values = values + [0.5] if len(values) > 2 else values
    inputs = {"input": g.tensor(shape, x), "target": g.tensor(target_shape, [float(g.pick(*values)) for _ in range(n)])}
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(target_shape))) if bad is None else shape


def gen_margin_ranking(g, opts, bad):
    """margin_ranking_loss: three tensors of one number of dimensions, dimensions of 1 broadcasting; ±1 labels (float
    or int64) and other targets; margins; some pairs exactly on the kink x1 = x2 + y margin."""
    shape = g.shape()
    if bad in ("shape", "dims") and not shape:
        shape = [g.rng.randint(1, 4)]
    def partner():
        return [1 if g.chance(0.4) else d for d in shape] if g.chance(0.25) else list(shape)
    s2, st = partner(), partner()
    if bad == "shape":
        st = g.vary_shape(list(shape))
        g.note(f"bad shape: target {st} for {shape}")
    elif bad == "dims":
        st = [1] + st
        g.note(f"bad dims: target {st} for {shape}")
    margin = 0.0
    if g.chance(0.6):
        margin = g.pick(0.0, 0.5, -0.5, 1.0, round(g.rng.uniform(-1, 1), 3))
        opts["margin"] = Raw(repr(margin))
    x1, x2 = g.logits(math.prod(shape)), g.logits(math.prod(s2))
    values = g.pick([1, -1], [1, -1], [1, -1, 0, 2])
    int64 = g.chance(0.3)
    y = [g.pick(*values) for _ in range(math.prod(st))]
    if not int64 and len(values) > 2:
        y = [0.5 if v == 0 and g.chance(0.5) else float(v) for v in y]
    if shape == s2 == st:  # the kink, exactly where the values are short
        for i in range(len(x1)):
            if g.chance(0.1):
                x2[i] = g.pick(0.25, -1.5, 3.0)
                x1[i] = x2[i] + y[i] * g.round(margin)
    inputs = {"input1": g.tensor(shape, x1), "input2": g.tensor(s2, x2),
              "target": g.int_tensor(st, [int(v) for v in y]) if int64 else g.tensor(st, [float(v) for v in y])}
    g.note(f"shapes {shape} {s2} {st}{', int64 target' if int64 else ''}")
    return inputs, list(np.broadcast_shapes(tuple(shape), tuple(s2), tuple(st))) if bad is None else shape
def gen_triplet(g, opts, bad):
    """triplet_margin_loss: (N, D) or (D) rows (sometimes 0-D or 3-D), a broadcast row, margin, p, eps, swap."""
    d = g.rng.randint(1, 5)
    kind = g.pick("2d", "2d", "2d", "1d", "0d", "3d")
    n = g.pick(0, 1, 2, 3, 4)
    s = {"2d": [n, d], "1d": [d], "0d": [], "3d": [2, n, d]}[kind]
    sa = sp = sn = s
    if bad == "shape":
        s = sa = sp = sn = [max(n, 2), max(d, 2)]
        if g.chance(0.5):
            sn = [s[1]]  # ranks differ
            g.note("bad shape: ranks differ")
        else:
            sn = [s[0], s[1] + 1]  # does not broadcast
            g.note("bad shape: last dimensions differ")
    elif kind in ("2d", "3d") and g.chance(0.25):
        which = g.pick("positive", "negative")
        partner = list(s[:-2]) + [1, d] if g.chance(0.7) else list(s[:-1]) + [1]
        sp, sn = (partner, sn) if which == "positive" else (sp, partner)
        g.note(f"{which} broadcast {partner}")
    g.note(f"{kind} {s}")
    def rows(shape):
        v = g.logits(math.prod(shape))
        return v
    a = rows(sa)
    inputs = {"anchor": g.tensor(sa, a), "positive": g.tensor(sp, a if sp == sa and g.chance(0.15) else rows(sp)),
              "negative": g.tensor(sn, rows(sn))}
    if g.chance(0.5):
        opts["margin"] = Raw(repr(g.pick(0.0, 0.5, 1.0, 2.0, -0.5, round(g.rng.uniform(0, 2), 3))))
    if g.chance(0.5):
        opts["p"] = Raw(repr(g.pick(1.0, 2.0, 3.0, 1.5, 0.5)))
    if g.chance(0.3):
        opts["eps"] = Raw(repr(g.pick(0.0, 1e-6, 1e-3)))
    if g.chance(0.4):
        opts["swap"] = g.pick(True, False)
    out = list(np.broadcast_shapes(tuple(sa), tuple(sp), tuple(sn)))[:-1] if bad is None else []
    return inputs, out


def gen_triplet_with_distance(g, opts, bad):
    """triplet_margin_with_distance_loss: (N, D) or (D) rows, ranks that differ, broadcast rows; distance_function
    null, "pairwise_distance" or "cosine"; margin, swap; zero vectors for the cosine's clamp."""
    d = g.rng.randint(1, 5)
    n = g.pick(0, 1, 2, 3, 4)
    s = [d] if g.chance(0.2) else [n, d]
    sa = sp = sn = s
    if bad == "shape":
        sa = sp = [max(n, 2), max(d, 2)]
        sn = [sa[0], sa[1] + 1]
        g.note("bad shape: last dimensions differ")
    elif len(s) == 2 and g.chance(0.3):
        partner = g.pick([1, d], [d])
        if g.chance(0.5):
            sp = partner
        else:
            sn = partner
        g.note(f"broadcast partner {partner}")
    def rows(shape):
        v = g.logits(math.prod(shape))
        if shape and g.chance(0.2):
            k = shape[-1]
            r = g.rng.randrange(max(1, math.prod(shape[:-1])))
            v[r * k:(r + 1) * k] = [0.0] * k if math.prod(shape) else []
        return v
    inputs = {"anchor": g.tensor(sa, rows(sa)), "positive": g.tensor(sp, rows(sp)), "negative": g.tensor(sn, rows(sn))}
    distance = g.pick(None, "absent", "pairwise_distance", "cosine", "cosine")
    if distance != "absent":
        opts["distance_function"] = distance
    if g.chance(0.5):
        opts["margin"] = Raw(repr(g.pick(0.0, 0.5, 1.0, 2.0, -0.5, round(g.rng.uniform(0, 2), 3))))
    if g.chance(0.4):
        opts["swap"] = g.pick(True, False)
    out = list(np.broadcast_shapes(tuple(sa), tuple(sp), tuple(sn)))[:-1] if bad is None else []
    return inputs, out
def gen_multi_margin(g, opts, bad, reduction):
    """(N, C) scores (sometimes (C) or 0-D), one class index per row, p, margin, class weights; some rows with a
    score exactly on the kink x[j] = x[y] - margin. No empty batch for a reduced output: torch 1.13 leaves its value
    uninitialized (docs/torch-quirks.md)."""
    c = g.rng.randint(1, 5)
    form = g.pick("batched", "batched", "batched", "unbatched", "zero_d")
    n = g.pick(0, 1, 2, 3, 4) if reduction == "none" else g.pick(1, 2, 3, 4)
    if form == "zero_d":
        c = 1
    shape = [] if form == "zero_d" else [c] if form == "unbatched" else [n, c]
    rows = n if form == "batched" else 1
    ts = [rows] if form == "batched" or g.chance(0.2) else []
    margin = 1.0
    if g.chance(0.5):
        margin = g.pick(0.0, 0.5, -0.5, 2.0, 1.0)
        opts["margin"] = Raw(repr(margin))
    if g.chance(0.5):
        opts["p"] = g.pick(1, 2, 2)
    y = [g.rng.randrange(c) for _ in range(rows)]
    x = g.logits(math.prod(shape))
    if shape and g.chance(0.3):  # kinks: z = 0 exactly (dyadic scores)
        g.note("kink")
        for r in range(rows):
            x[r * c + y[r]] = g.rng.randint(-8, 8) / 4
            for j in range(c):
                if j != y[r] and g.chance(0.5):
                    x[r * c + j] = x[r * c + y[r]] - margin
    if bad == "shape":
        kind = g.pick("3-D", "empty rows", "target size", "target rank")
        g.note(f"bad shape: {kind}")
        if kind == "3-D":
            shape, x = [2, c, 2], g.logits(4 * c)
        elif kind == "empty rows":
            shape, x = [rows, 0], []
        elif kind == "target size":
            ts, y = [rows + 1], y + [0]
        else:
            ts = [rows, 1] if rows else [1, 1]
            y = (y + [0])[:math.prod(ts)]
    elif bad == "target_range":
        y[g.rng.randrange(len(y))] = g.pick(c, -1, c + 3)
    elif bad == "p":
        opts["p"] = g.pick(0, 3, -1)
    inputs = {"input": g.tensor(shape, x), "target": Gen.int_tensor(ts, y)}
    if g.chance(0.3):
        inputs["weight"] = g.tensor([c], [g.rng.uniform(-0.5, 2.0) for _ in range(c)])
    return inputs, ts if bad is None else []


def gen_multilabel_margin(g, opts, bad, reduction):
    """(N, C) scores (sometimes (C) or 0-D) and a target of their shape: per row a list of class indices (empty, full,
    with a repeat) ended by -1, then any values torch accepts (never read); some scores exactly on the kink
    x[i] = x[t] - 1. No empty batch for a reduced output (torch 1.13 leaves it uninitialized)."""
    c = g.rng.randint(1, 5)
    form = g.pick("batched", "batched", "batched", "unbatched", "zero_d")
    n = g.pick(0, 1, 2, 3, 4) if reduction == "none" else g.pick(1, 2, 3, 4)
    if form == "zero_d":
        c = 1
    shape = [] if form == "zero_d" else [c] if form == "unbatched" else [n, c]
    rows = n if form == "batched" else 1
    ts = [1] if form == "zero_d" and g.chance(0.5) else list(shape)
    y, x = [], g.logits(math.prod(shape))
    for r in range(rows):
        listed = [g.rng.randrange(c) for _ in range(g.rng.randint(0, c))]
        if listed and len(listed) < c and g.chance(0.2):
            listed.append(listed[0])
        row = listed + ([-1] if len(listed) < c else [])
        row += [g.rng.randint(-1, c - 1) for _ in range(c - len(row))]
        y += row
        if shape and listed and g.chance(0.3):  # kinks: z = 0 exactly (dyadic scores)
            g.note("kink")
            x[r * c + listed[0]] = g.rng.randint(-8, 8) / 4
            for i in range(c):
                if i not in listed and g.chance(0.5):
                    x[r * c + i] = x[r * c + listed[0]] - 1
    if bad == "shape":
        kind = g.pick("3-D", "empty rows", "flattened")
        g.note(f"bad shape: {kind}")
        if kind == "3-D":
            shape, ts, x, y = [2, c, 1], [2, c, 1], g.logits(2 * c), [-1] * (2 * c)
        elif kind == "empty rows":
            shape, ts, x, y = [max(rows, 1), 0], [max(rows, 1), 0], [], []
        else:
            shape, x = [max(rows, 1), c], g.logits(max(rows, 1) * c)
            ts, y = [max(rows, 1) * c], [-1] * (max(rows, 1) * c)
    elif bad == "target_range":
        y[g.rng.randrange(len(y))] = g.pick(c, -2, c + 3)
    inputs = {"input": g.tensor(shape, x), "target": Gen.int_tensor(ts, y)}
    return inputs, ([rows] if len(ts) == 2 else []) if bad is None else []


def gen_ctc(g, opts, bad):
    """ctc_loss: log_probs (T, N, C) (or unbatched (T, C) with 0-D lengths), normalized (log-softmax) or not, padded or
    concatenated targets of labels other than the blank (repeats included), input lengths up to T (some alignments
    impossible), blank not 0, zero_infinity; invalid: an input length beyond T, a target length beyond S, a target
    equal to the blank, lengths of the wrong size."""
    T, C = g.rng.randint(1, 8), g.rng.randint(2, 5)
    unbatched = g.chance(0.15)
    N = 1 if unbatched else g.rng.randint(0 if g.chance(0.05) else 1, 4)
    blank = 0 if g.chance(0.6) else g.rng.randrange(C)
    if blank or g.chance(0.1):
        opts["blank"] = blank
    if g.chance(0.3):
        opts["zero_infinity"] = g.chance(0.7)
    labels_of = [c for c in range(C) if c != blank]
    labels, il = [], []
    for _ in range(N):
        L = g.rng.randint(0, min(4, T + 1))
        seq = []
        for _ in range(L):
            seq.append(seq[-1] if seq and g.chance(0.3) else g.pick(*labels_of))
        labels.append(seq)
        il.append(T if g.chance(0.6) else g.rng.randint(1, T))
    x = g.logits(T * N * C) if g.chance(0.4) else [v * 2 for v in g.ordinary(T * N * C)]
    x = [min(v, 4.0) for v in x]  # no large positive log-probabilities (torch's log-add overflows them)
    if g.chance(0.6):  # log-softmax rows
        for r in range(T * N):
            row = x[r * C:(r + 1) * C]
            m = max(row)
            lse = m + math.log(sum(math.exp(v - m) for v in row))
            x[r * C:(r + 1) * C] = [v - lse for v in row]
    tl = [len(s) for s in labels]
    concatenated = g.chance(0.35) or unbatched
    if concatenated:
        flat = [v for s in labels for v in s]
        targets = g.int_tensor([len(flat)], flat)
    else:
        S = max(tl + [0]) + (1 if g.chance(0.3) else 0)
        targets = g.int_tensor([N, S], [v for s in labels for v in s + [1] * (S - len(s))])
    if bad == "input_length" and N:
        il[0] = T + 1
    if bad == "target_length" and N:
        tl[0] += 1
    if bad == "blank":
        opts["blank"] = C
    lshape = [] if unbatched else [N]
    if bad == "shape":
        lshape = [N + 1]
        il, tl = il + [1], tl + [0]
    g.note(f"ctc T={T} N={N} C={C} blank={blank} {'concatenated' if concatenated else 'padded'}")
    inputs = {"log_probs": g.tensor([T, C] if unbatched else [T, N, C], x), "targets": targets,
              "input_lengths": g.int_tensor(lshape, il), "target_lengths": g.int_tensor(lshape, tl)}
    return inputs, [] if unbatched else [N]


def gen_case(rng, case_id, loss, dtype, invalid):
    g = Gen(rng, dtype)
    bad = None
    if invalid:
        kinds = INVALID_KINDS[loss] + ["bad_reduction"] + (["batchmean"] if loss != "kl_div" else [])
        bad = g.pick(*kinds)
        g.note(f"INVALID {bad}")
    opts, reduction = reduction_options(g, loss, bad)
    if loss == "mse_loss":
        inputs, out_shape = gen_mse(g, opts, bad)
    elif loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        inputs, out_shape = gen_bce(g, opts, bad, loss == "binary_cross_entropy_with_logits")
    elif loss in ("cross_entropy", "nll_loss"):
        inputs, out_shape = gen_class_loss(g, opts, bad, loss)
    elif loss == "kl_div":
        inputs, out_shape = gen_kl(g, opts, bad)
    elif loss in ("l1_loss", "smooth_l1_loss", "huber_loss"):
        inputs, out_shape = gen_l1_family(g, opts, bad, loss)
    elif loss == "soft_margin_loss":
        inputs, out_shape = gen_soft_margin(g, opts, bad)
    elif loss == "multilabel_soft_margin_loss":
        inputs, out_shape = gen_multilabel(g, opts, bad)
    elif loss == "hinge_embedding_loss":
        inputs, out_shape = gen_hinge(g, opts, bad)
    elif loss == "margin_ranking_loss":
        inputs, out_shape = gen_margin_ranking(g, opts, bad)
    elif loss == "triplet_margin_loss":
        inputs, out_shape = gen_triplet(g, opts, bad)
    elif loss == "triplet_margin_with_distance_loss":
        inputs, out_shape = gen_triplet_with_distance(g, opts, bad)
    elif loss == "multi_margin_loss":
        inputs, out_shape = gen_multi_margin(g, opts, bad, reduction)
    elif loss == "multilabel_margin_loss":
        inputs, out_shape = gen_multilabel_margin(g, opts, bad, reduction)
    elif loss == "poisson_nll_loss":
        inputs, out_shape = gen_poisson(g, opts, bad)
    elif loss == "gaussian_nll_loss":
        inputs, out_shape = gen_gaussian(g, opts, bad)
    elif loss == "ctc_loss":
        inputs, out_shape = gen_ctc(g, opts, bad)
    else:
        inputs, out_shape = gen_cosine(g, opts, bad)
    g.note(f"reduction {reduction}")
    case = {"id": case_id, "loss": loss}
    if dtype == "float64" or g.chance(0.5):
        case["dtype"] = dtype
    if opts or g.chance(0.5):
        case["options"] = opts
    case["inputs"] = inputs
    grad_shape = out_shape if reduction == "none" else []
    if g.chance(0.75 if reduction == "none" else 0.3):
        case["grad_output"] = g.tensor(grad_shape, [g.pick(0.0, 1.0, -1.0) if g.chance(0.1) else g.rng.gauss(0, 2)
                                                    for _ in range(math.prod(grad_shape))])
    return case, g.notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--loss", default=",".join(LOSSES), help="comma-separated losses (default: all)")
    parser.add_argument("--invalid", type=float, default=0.1, help="share of invalid cases (default 0.1)")
    parser.add_argument("--describe", action="store_true", help="describe each case on stderr")
    parser.add_argument("--include-divergences", action="store_true",
                        help="also draw inputs where losscheck deliberately differs from torch (docs/format.md: "
                             "nll_loss with a 1-D input and a 1-D target, which torch 1.13 reads as target[0]; "
                             "kl_div and poisson_nll_loss terms that are not finite against an empty broadcast)")
    args = parser.parse_args()
    global INCLUDE_DIVERGENCES
    INCLUDE_DIVERGENCES = args.include_divergences
    losses = args.loss.split(",")
    for loss in losses:
        if loss not in LOSSES:
            parser.error(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
    rng = random.Random(args.seed)
    for i in range(args.count):
        loss = losses[i % len(losses)] if i < len(losses) else rng.choice(losses)
        case, notes = gen_case(rng, i, loss, rng.choice(["float32", "float64"]), rng.random() < args.invalid)
        print(to_json(case))
        if args.describe:
            print(f"{i}\t{loss}\t{'; '.join(notes)}", file=sys.stderr)


if __name__ == "__main__":
    main()
