"""Answers correctly, then dies of SIGSEGV on the 3rd case it reads (every time it is started)."""
import os
import signal
import protocol


def respond(n, line, answer):
    if n == 3:
        os.kill(os.getpid(), signal.SIGSEGV)
    return answer(line)


protocol.serve(respond)
