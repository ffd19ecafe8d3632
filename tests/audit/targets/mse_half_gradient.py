"""A wrong backward: mse_loss's output is right but the gradient of its input is half of it (a forgotten factor 2);
the other losses are right. The audit must call it a bug: the gradient disagrees with the program's own forward."""
import protocol


def respond(n, line, answer):
    result = answer(line)
    if protocol.loads(line).get("loss") != "mse_loss":
        return result
    r = protocol.loads(result)
    g = r.get("grads", {}).get("input")
    if g is not None:
        g["data"] = [v / 2 if isinstance(v, (int, float)) else v for v in g["data"]]
    return protocol.dumps(r)


protocol.serve(respond)
