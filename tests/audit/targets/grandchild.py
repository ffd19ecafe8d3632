"""Forks a grandchild that ignores SIGTERM and keeps stdin and stdout open forever; answers 2 cases correctly, then
exits with status 3 on the 3rd (every time it is started). Its end must be seen although no end of file comes, and
the grandchild must not be left behind."""
import os
import signal
import time
import protocol

if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    protocol.record_pid()
    while True:
        time.sleep(3600)


def respond(n, line, answer):
    if n == 3:
        os._exit(3)
    return answer(line)


protocol.serve(respond)
