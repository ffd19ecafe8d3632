"""Answers correctly, but its 3rd answer carries the id of the case before (every time it is started)."""
import protocol

previous = None


def respond(n, line, answer):
    global previous
    result = answer(line)
    r = protocol.loads(result)
    current = r["id"]
    if n == 3:
        r["id"] = previous
        result = protocol.dumps(r)
    previous = current
    return result


protocol.serve(respond)
