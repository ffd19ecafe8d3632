"""A wrong implementation: mse_loss (output and every gradient) is twice losscheck's; the other losses are right."""
import protocol


def respond(n, line, answer):
    result = answer(line)
    if protocol.loads(line).get("loss") != "mse_loss":
        return result
    r = protocol.loads(result)
    for t in [r.get("output")] + list(r.get("grads", {}).values()):
        if t is not None:
            t["data"] = [v * 2 if isinstance(v, (int, float)) else v for v in t["data"]]
    return protocol.dumps(r)


protocol.serve(respond)
