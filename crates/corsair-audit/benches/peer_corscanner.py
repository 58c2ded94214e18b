"""Runs CORScanner (PyPI corscanner 0.9.7) with names resolved as corsair's --resolve does.

Usage: python peer_corscanner.py RESOLVE_FILE CORSCANNER_ARGS...
RESOLVE_FILE holds `host:port:addr` lines. Any other name fails to resolve, so no request
leaves loopback; tldextract uses its bundled Public Suffix List snapshot (no download).
"""
import socket
import sys

from CORScanner import cors_scan  # applies gevent's monkey patches first

import tldextract

table = {}
for line in open(sys.argv[1]):
    host, port, addr = line.strip().rsplit(":", 2)
    table[(host.lower(), int(port))] = addr


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    addr = table.get((str(host).lower(), int(port or 0)))
    if addr is None or not addr.startswith("127."):
        raise socket.gaierror(socket.EAI_NONAME, f"{host}:{port} is not a benchmark target")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, int(port)))]


socket.getaddrinfo = getaddrinfo
offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
tldextract.extract = offline
sys.argv = ["corscanner"] + sys.argv[2:]
cors_scan.main()
