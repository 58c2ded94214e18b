"""Loopback CORS policies for benches/peer.sh: the sound and flawed policies of
tests/policies.rs, chosen by the request's Host (`<policy><replica>.example.com`).

Usage: python3 peer_policies.py IP PORT      (serves until killed)
       python3 peer_policies.py --list        (the policy names, flawed then sound)
"""
import http.server
import re
import sys

WWW = "http://www.example.com"


def lax_host(origin):
    """The host as a hand-written parser reads it: up to the first character outside [a-z0-9.-]."""
    rest = origin[len("http://"):] if origin.startswith("http://") else ""
    return re.match(r"[a-z0-9.-]*", rest).group(0)


def unescaped(pattern, origin):
    """`pattern` used as a regular expression without escaping its dots."""
    return re.fullmatch(pattern, origin) is not None


# name: (allow(origin, host), credentials, vary, sound)
POLICIES = {
    "reflectcreds": (lambda o, h: True, True, True, False),
    "reflect": (lambda o, h: True, False, True, False),
    "nulltrusted": (lambda o, h: o in ("null", WWW), True, True, False),
    "endswith": (lambda o, h: o.endswith("example.com"), True, True, False),
    "startswith": (lambda o, h: o.startswith(WWW), True, True, False),
    "startswithself": (lambda o, h: o.startswith("http://" + h), True, True, False),
    "dotregex": (lambda o, h: unescaped(WWW, o), True, True, False),
    "dotregexself": (lambda o, h: unescaped("http://" + h, o), True, True, False),
    "laxparser": (lambda o, h: lax_host(o) == "www.example.com", True, True, False),
    "laxparserself": (lambda o, h: lax_host(o) == h, True, True, False),
    "localhost": (lambda o, h: o in (WWW, "http://localhost:3000"), True, True, False),
    "wildcardcreds": (None, True, False, False),
    "novary": (lambda o, h: o == WWW, True, False, False),
    "permissivepreflight": (lambda o, h: True, True, True, False),
    "twovalues": (lambda o, h: o == WWW, True, True, False),
    "exactlist": (lambda o, h: o in (WWW, "http://app.example.com"), True, True, True),
    "public": (None, False, False, True),
    "subdomains": (lambda o, h: re.fullmatch(r"http://([a-z0-9-]+\.)+example\.com", o) is not None, True, True, True),
    "nocors": (lambda o, h: False, False, False, True),
    "fixedorigin": (lambda o, h: False, False, False, True),
    "listedpreflight": (lambda o, h: o == WWW, True, True, True),
}


class Policy(http.server.BaseHTTPRequestHandler):
    def answer(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        name = host.split(".")[0].rstrip("0123456789")
        allow, credentials, vary, _ = POLICIES.get(name, POLICIES["nocors"])
        origin = self.headers.get("Origin")
        preflight = self.command == "OPTIONS" and self.headers.get("Access-Control-Request-Method")
        self.send_response(204 if preflight else 200)
        if vary:
            self.send_header("Vary", "Origin")
        if name == "wildcardcreds":
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Credentials", "true")
        elif name == "public":
            self.send_header("Access-Control-Allow-Origin", "*")
        elif name == "fixedorigin":
            self.send_header("Access-Control-Allow-Origin", "http://app.example.com")
        elif origin and allow(origin, host):
            self.send_header("Access-Control-Allow-Origin", origin)
            if credentials:
                self.send_header("Access-Control-Allow-Credentials", "true")
        if name == "twovalues":
            self.send_header("Access-Control-Allow-Origin", "http://app.example.com")
        if preflight and name == "permissivepreflight":
            self.send_header("Access-Control-Allow-Methods", preflight)
            self.send_header("Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers", ""))
        elif preflight and name == "listedpreflight":
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "content-type")
        body = b"" if preflight else b'{"user": "alice"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_OPTIONS = do_HEAD = answer

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if sys.argv[1] == "--list":
        for name, (_, _, _, sound) in POLICIES.items():
            print(name, "sound" if sound else "flawed")
    else:
        server = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Policy)
        server.daemon_threads = True
        server.request_queue_size = 512
        server.serve_forever()
