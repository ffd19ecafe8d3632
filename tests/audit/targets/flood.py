"""Answers 2 cases correctly, then floods stdout without a newline, forever (every time it is started): losscheck
must stop reading at its line cap (64 MiB), not run out of memory."""
import sys
import protocol


def respond(n, line, answer):
    if n == 3:
        chunk = b"x" * (1 << 20)
        while True:
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    return answer(line)


protocol.serve(respond)
