"""Answers correctly, then hangs forever on the 3rd case it reads (every time it is started)."""
import time
import protocol


def respond(n, line, answer):
    if n == 3:
        while True:
            time.sleep(3600)
    return answer(line)


protocol.serve(respond)
