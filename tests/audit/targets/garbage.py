"""Answers correctly, but prints a line of garbage instead of its 2nd answer."""
import protocol


def respond(n, line, answer):
    result = answer(line)
    return "Segmentation fault? no: just garbage {" if n == 2 else result


protocol.serve(respond)
