"""A server that answers a tools/call with one long text and exits at once. Its end of stdout (the
socket Node's spawn gives it) is given a large send buffer first, and the text is half of what that
buffer holds, so the whole answer is written before it exits, whether or not policylayer has read
it: what is unread then is still the server's answer. It says on stderr how long the text is.
Standard library only."""

import json
import os
import socket
import sys

out = socket.fromfd(1, socket.AF_UNIX, socket.SOCK_STREAM)
# The kernel caps this at net.core.wmem_max (and reports twice what it grants).
out.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024 * 1024)
ANSWER_CHARS = out.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 2
out.close()


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    method, request_id = message.get("method"), message.get("id")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": request_id, "result": {
            "protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
            "serverInfo": {"name": "answer-then-exit", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": request_id, "result": {
            "tools": [{"name": "answer_and_exit", "inputSchema": {"type": "object"}}]}})
    elif method == "tools/call":
        send({"jsonrpc": "2.0", "id": request_id, "result": {
            "content": [{"type": "text", "text": "x" * ANSWER_CHARS}], "isError": False}})
        sys.stderr.write(f"answer-then-exit: answered with {ANSWER_CHARS} characters, exiting\n")
        sys.stderr.flush()
        os._exit(0)
