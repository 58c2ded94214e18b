"""Holds N idle keep-alive connections to a server, each having made one request.

Usage: idle.py HOST PORT N PATH ORIGIN READY_FILE
Connections are opened one after another, each waiting for its response before the next opens,
so the server never has more than one request in flight (a burst would also measure the upstream
connections it opens). Writes READY_FILE once every connection has its response, then sleeps
until killed.
"""
import socket
import sys
import time

host, port, n, path, origin, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {origin}\r\n\r\n").encode()


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed before the response")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit(f"unexpected response: {head[:80]!r}")
    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += s.recv(4096)


socks = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(request)
    read_response(s)
    socks.append(s)
with open(ready, "w") as f:
    f.write(f"{len(socks)}\n")
while True:
    time.sleep(3600)
