"""A library wrong in four different ways (the findings test of docs/audit.md): mse_loss is twice torch's (a
convention), cross_entropy's weighted mean divides by the number of targets instead of the sum of their weights,
kl_div ignores log_target=True, l1_loss's input gradient is half torch's. Everything else is losscheck's impl."""
import protocol


def scaled(tensor, factor):
    if tensor is not None:
        tensor["data"] = [v * factor if isinstance(v, (int, float)) else v for v in tensor["data"]]


def divided(v, count):
    """v / count as IEEE arithmetic has it (0/0 is NaN), non-finite values as the protocol writes them."""
    if not isinstance(v, (int, float)):
        return v
    if count:
        return v / count
    return "nan" if v == 0 else ("inf" if v > 0 else "-inf")


def respond(n, line, answer):
    case = protocol.loads(line)
    loss, options = case.get("loss"), case.get("options") or {}
    legacy = options.get("size_average") is not None or options.get("reduce") is not None
    if loss == "kl_div" and options.get("log_target") is True:
        options["log_target"] = False
        return answer(protocol.dumps(case))
    if loss == "cross_entropy" and "weight" in case.get("inputs", {}) and not legacy and \
            options.get("reduction", "mean") == "mean" and case["inputs"]["target"].get("dtype") == "int64":
        ignore = options.get("ignore_index", -100)
        count = sum(1 for y in case["inputs"]["target"]["data"] if y != ignore)
        options["reduction"] = "sum"
        r = protocol.loads(answer(protocol.dumps(case)))
        if "error" in r:
            return protocol.dumps(r)
        for t in [r.get("output")] + list(r.get("grads", {}).values()):
            if t is not None:
                t["data"] = [divided(v, count) for v in t["data"]]
        return protocol.dumps(r)
    result = answer(line)
    if loss not in ("mse_loss", "l1_loss"):
        return result
    r = protocol.loads(result)
    if loss == "mse_loss":
        for t in [r.get("output")] + list(r.get("grads", {}).values()):
            scaled(t, 2)
    else:
        scaled(r.get("grads", {}).get("input"), 0.5)
    return protocol.dumps(r)


protocol.serve(respond)
