"""Answers 2 cases correctly, then never reads its input again and hangs (every time it is started)."""
import time
import protocol


def respond(n, line, answer):
    if n == 2:
        result = answer(line)
        print(result, flush=True)
        while True:  # never back to reading stdin
            time.sleep(3600)
    return answer(line)


protocol.serve(respond)
