"""Answers 2 cases correctly; with its 3rd answer starts writing endless lines of spam (not UTF-8), forever (every
time it is started): no spam line may be taken for the answer to the next case."""
import sys
import protocol


def respond(n, line, answer):
    result = answer(line)
    if n == 3:
        sys.stdout.write(result + "\n")
        sys.stdout.flush()
        spam = b"spam \xff\xfe not an answer\n" * 4096
        while True:
            sys.stdout.buffer.write(spam)
            sys.stdout.buffer.flush()
    return result


protocol.serve(respond)
