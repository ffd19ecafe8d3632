"""Answers 2 cases correctly; of its 3rd answer writes the first half (no newline) and then hangs (every time it is
started)."""
import sys
import time
import protocol


def respond(n, line, answer):
    result = answer(line)
    if n == 3:
        sys.stdout.write(result[:len(result) // 2])
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    return result


protocol.serve(respond)
