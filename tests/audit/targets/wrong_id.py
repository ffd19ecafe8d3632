"""Answers correctly, but the 4th answer carries the id of the case after it."""
import protocol


def respond(n, line, answer):
    result = answer(line)
    if n == 4:
        r = protocol.loads(result)
        r["id"] = r["id"] + 1 if isinstance(r["id"], int) else 12345
        result = protocol.dumps(r)
    return result


protocol.serve(respond)
