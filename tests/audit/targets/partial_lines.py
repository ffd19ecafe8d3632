"""A correct target that writes every answer in three pieces with pauses between them: must pass."""
import sys
import time
import protocol


def respond(n, line, answer):
    result = answer(line) + "\n"
    k = len(result) // 3
    for piece in (result[:k], result[k:2 * k], result[2 * k:]):
        sys.stdout.write(piece)
        sys.stdout.flush()
        time.sleep(0.02)
    return None


protocol.serve(respond)
