"""Reads one case and answers it `unsupported`, then never reads its input again and hangs."""
import json
import sys
import time
import protocol

protocol.record_pid()
first = json.loads(sys.stdin.readline())
print(protocol.dumps({"id": first["id"], "unsupported": "reads one case only"}), flush=True)
while True:
    time.sleep(3600)
