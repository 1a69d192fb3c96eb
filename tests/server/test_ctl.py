"""`shadowcast ctl` against a fake debug API on loopback (no GPU): the request
it sends (token, method, Content-Length) and its answers to hostile or
oversized arguments: a token of 1000 or 5000 characters or one with a line break is
refused with a clear message (exit 2) before anything is sent, never written
past a buffer (the ASan build runs this too); a long URL path is an error."""
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402


class FakeApi:
    """Accepts connections, records each request, answers 401 with a JSON error."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            c.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data.decode("latin1"))
                body = b'{"error":"wrong token","status":401}\n'
                c.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def ctl(args, env_token=None):
    e = dict(os.environ)
    e["SHADOWCAST_TOKEN"] = env_token or ""
    return subprocess.run([sctest.BIN, "ctl"] + args, capture_output=True, text=True, timeout=30, env=e)


def no_sanitizer_report(p, what):
    sctest.check("Sanitizer" not in p.stderr and p.returncode >= 0,
                 "%s: no sanitizer report or signal; exit %d, stderr:\n%s" % (what, p.returncode, p.stderr))


def main():
    sctest.init(sys.argv)
    api = FakeApi()
    url = "http://127.0.0.1:%d" % api.port
    try:
        # a token of the longest length `run --api-token` takes goes out as it is
        tok = "a" * 127
        p = ctl([url, "--token", tok, "pause"])
        no_sanitizer_report(p, "127-character token")
        sctest.check(p.returncode == 1 and "HTTP 401: wrong token" in p.stderr,
                     "127-character token: sent, the 401 reported; exit %d: %s" % (p.returncode, p.stderr))
        sctest.check(len(api.requests) == 1, "one request sent, got %d" % len(api.requests))
        req = api.requests[-1]
        sctest.check(req.startswith("POST /api/v1/shadow/pause HTTP/1.1\r\n"), "request line: %r" % req[:60])
        sctest.check("\r\nAuthorization: Bearer %s\r\n" % tok in req, "the whole token is sent")

        # over-long tokens: refused before sending, clearly, no overflow (about
        # 1000 characters wrote just past the old 1 KiB header buffer: ASan)
        for size, how, cmd in ((1000, "option", "pause"), (5000, "option", "status"),
                               (5000, "environment", "incidents")):
            n = len(api.requests)
            big = "b" * size
            what = "%d-character token (%s, %s)" % (size, how, cmd)
            p = ctl([url, "--token", big, cmd]) if how == "option" else ctl([url, cmd], big)
            no_sanitizer_report(p, what)
            sctest.check(p.returncode == 2, "%s: exit 2, got %d: %s" % (what, p.returncode, p.stderr))
            sctest.check(("token is %d characters" % size) in p.stderr and "at most 127" in p.stderr,
                         "%s: a clear message, got: %s" % (what, p.stderr))
            sctest.check(len(api.requests) == n, "%s: nothing sent" % what)

        # a line break would inject headers
        n = len(api.requests)
        p = ctl([url, "--token", "abcdefgh\r\nX-Evil: 1", "pause"])
        no_sanitizer_report(p, "token with CR LF")
        sctest.check(p.returncode == 2 and "token" in p.stderr and "printable" in p.stderr,
                     "token with CR LF refused (exit 2); got %d: %s" % (p.returncode, p.stderr))
        sctest.check(len(api.requests) == n, "token with CR LF: nothing sent")

        # a long URL path prefix: either fits or is refused, never overflows
        long_url = url + "/" + "p" * 1000
        p = ctl([long_url, "--token", tok, "status"])
        no_sanitizer_report(p, "URL with a 1000-character path")
        sctest.check(p.returncode == 2 and "URL" in p.stderr,
                     "URL with a 1000-character path: exit 2 with a message about the URL; got %d: %s"
                     % (p.returncode, p.stderr))
    finally:
        api.close()
    print("ctl: all checks passed")


if __name__ == "__main__":
    main()
