"""Answers correctly, but writes its 3rd answer twice (every time it is started)."""
import protocol


def respond(n, line, answer):
    result = answer(line)
    return result + "\n" + result if n == 3 else result


protocol.serve(respond)
