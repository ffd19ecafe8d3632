"""Says `unsupported` to every mse_loss case and answers the other losses correctly: mse rows must be skipped."""
import protocol


def respond(n, line, answer):
    if protocol.loads(line).get("loss") == "mse_loss":
        return protocol.dumps({"id": protocol.loads(line).get("id"), "unsupported": "no mse_loss here"})
    return answer(line)


protocol.serve(respond)
