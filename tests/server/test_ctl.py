"""`shadowcast ctl` against a fake debug API on loopback (no GPU): the request
it sends (token, method, Content-Length, a JSON body) and its answers to hostile or
oversized arguments: a token of 1000 or 5000 characters or one with a line break is
refused with a clear message (exit 2) before anything is sent, never written
past a buffer (the ASan build runs this too); a long URL path is an error.
And a hostile server: an answer over the size limit (announced or not),
invalid JSON, a server that stalls past --timeout, nothing listening: each is
a clear message and exit 1. A JSON answer is printed indented, a download is
saved to a file."""
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402


def answer(status, body, ctype="application/json", length=True):
    head = "HTTP/1.1 %s\r\n" % status
    if ctype:
        head += "Content-Type: %s\r\n" % ctype
    if length is True:
        head += "Content-Length: %d\r\n" % len(body)
    elif length is not False:
        head += "Content-Length: %d\r\n" % length
    return (head + "Connection: close\r\n\r\n").encode() + body


WRONG_TOKEN = answer("401 Unauthorized", b'{"error":"wrong token","status":401}\n')


class FakeApi:
    """Accepts connections, records each request (head and body), sends
    self.answer after self.stall seconds (cut short when the client leaves)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.answer = WRONG_TOKEN
        self.stall = 0
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
                head, _, body = data.partition(b"\r\n\r\n")
                want = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        want = int(v)
                while len(body) < want:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(data.decode("latin1") if not body else
                                     head.decode("latin1") + "\r\n\r\n" + body.decode("latin1"))
                end = time.monotonic() + self.stall
                while time.monotonic() < end and not self.stop:
                    r, _, _ = select.select([c], [], [], 0.05)
                    if r and not c.recv(1):
                        break  # the client gave up
                else:
                    c.sendall(self.answer)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


TOKEN_DIR = tempfile.mkdtemp(prefix="sc-ctl-token-")


def ctl(args, env_token=None, cwd=None, text=True):
    """Runs ctl; ["--token", T] in args stands for a --token-file holding T
    (a token itself is refused on the command line)."""
    e = dict(os.environ)
    e["SHADOWCAST_TOKEN"] = env_token or ""
    e["SHADOWCAST_API_TOKEN"] = ""
    args = list(args)
    if "--token" in args:
        i = args.index("--token")
        path = os.path.join(TOKEN_DIR, "token")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", newline="") as f:
            f.write(args[i + 1] + "\n")
        args[i:i + 2] = ["--token-file", path]
    return subprocess.run([sctest.BIN, "ctl"] + args, capture_output=True, text=text, timeout=30, env=e, cwd=cwd)


def token_on_command_line(api, url):
    """--token TOKEN is refused before anything is sent, without echoing the
    token; the environment and --token-file still work."""
    n = len(api.requests)
    secret = "s3cret-token-on-argv-0123456789"
    e = dict(os.environ, SHADOWCAST_TOKEN="", SHADOWCAST_API_TOKEN="")
    p = subprocess.run([sctest.BIN, "ctl", url, "--token", secret, "status"], capture_output=True, text=True,
                       timeout=30, env=e)
    no_sanitizer_report(p, "--token on the command line")
    sctest.check(p.returncode == 2 and "--token is refused" in p.stderr and "--token-file" in p.stderr,
                 "--token refused with the way to give it; got %d: %s" % (p.returncode, p.stderr))
    sctest.check(secret not in p.stderr + p.stdout, "the refused token is not echoed")
    sctest.check(len(api.requests) == n, "--token on the command line: nothing sent")
    # $SHADOWCAST_API_TOKEN (the variable `run` reads) is sent
    e["SHADOWCAST_API_TOKEN"] = secret
    p = subprocess.run([sctest.BIN, "ctl", url, "pause"], capture_output=True, text=True, timeout=30, env=e)
    no_sanitizer_report(p, "token from $SHADOWCAST_API_TOKEN")
    sctest.check(len(api.requests) == n + 1 and "\r\nAuthorization: Bearer %s\r\n" % secret in api.requests[-1],
                 "the token from $SHADOWCAST_API_TOKEN is sent")


def no_sanitizer_report(p, what):
    sctest.check("Sanitizer" not in p.stderr and p.returncode >= 0,
                 "%s: no sanitizer report or signal; exit %d, stderr:\n%s" % (what, p.returncode, p.stderr))


def main():
    sctest.init(sys.argv)
    api = FakeApi()
    url = "http://127.0.0.1:%d" % api.port
    try:
        # a token of the longest length `run` takes goes out as it is
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
        p = ctl([url, "pause"], "abcdefgh\r\nX-Evil: 1")
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

        token_on_command_line(api, url)
        hostile_server(api, url, tok)
        answers(api, url, tok)
    finally:
        api.close()
    print("ctl: all checks passed")


def refused(p, what, words, code=1):
    no_sanitizer_report(p, what)
    sctest.check(p.returncode == code and all(w in p.stderr for w in words),
                 "%s: exit %d with %s; got %d: %s" % (what, code, words, p.returncode, p.stderr))


def hostile_server(api, url, tok):
    """Answers ctl must not trust: each is one clear line and exit 1."""
    # a JSON answer over the limit (8 MiB), without a length: stopped there
    api.answer = answer("200 OK", b"[" + b"1," * (9 << 19) + b"1]", length=False)
    refused(ctl([url, "--token", tok, "status"]), "9 MiB status answer", ["over 8 MiB"])
    # announced by Content-Length (a 2 GB capture): refused before reading it
    with tempfile.TemporaryDirectory() as d:
        api.answer = answer("200 OK", b"ustar", "application/x-tar", length=2 << 30)
        p = ctl([url, "--token", tok, "download", "incident-1-tick-5"], cwd=d)
        refused(p, "2 GB download", ["over 80 MiB"])
        sctest.check(os.listdir(d) == [], "2 GB download: no file written, got %s" % os.listdir(d))
    # invalid JSON in a 2xx answer
    for body in (b'{"ok":true,', b"<html>oops</html>", b"", b'{"a":1} trailing'):
        api.answer = answer("200 OK", body)
        refused(ctl([url, "--token", tok, "pause"]), "invalid JSON %r" % body, ["not valid JSON"])
    # an error answer that is not JSON: its start is shown
    api.answer = answer("502 Bad Gateway", b"upstream down", "text/plain")
    refused(ctl([url, "--token", tok, "resume"]), "text error", ["HTTP 502: upstream down"])
    # an answer cut short
    api.answer = answer("200 OK", b'{"ok":true}', length=100)
    refused(ctl([url, "--token", tok, "status"]), "cut-short answer", ["cut short"])
    # not HTTP
    api.answer = b"SSH-2.0-OpenSSH_9.2\r\n"
    refused(ctl([url, "--token", tok, "status"]), "not HTTP", ["no valid HTTP answer"])
    # a server that accepts and says nothing: --timeout, well before the default 20 s
    api.answer = answer("200 OK", b"{}")
    api.stall = 10
    t0 = time.monotonic()
    p = ctl([url, "--token", tok, "--timeout", "1", "step-input"])
    took = time.monotonic() - t0
    api.stall = 0
    refused(p, "stalled server", ["timed out", "nothing for 1.0 s"])
    sctest.check(took < 5, "stalled server: gave up after %.1f s with --timeout 1" % took)
    for bad in ("0", "-1", "abc", "3601"):
        refused(ctl([url, "--timeout", bad, "status"]), "--timeout %s" % bad, ["--timeout"], 2)
    # nothing listening
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    refused(ctl(["http://127.0.0.1:%d" % port, "status"]), "nothing listening",
            ["cannot connect", "running there"])
    s.close()
    # the token is in no message
    sctest.check(tok not in p.stderr, "the token is not printed")


def answers(api, url, tok):
    """What ctl sends and prints for good answers."""
    # JSON printed indented, the same document
    doc = {"ok": True, "x": 0.4, "n": [], "o": {}, "s": "\u00e9\"\\", "big": 12345678901234,
           "shadows": [{"slot": 0, "state": "running"}, {"slot": 1, "state": "off"}]}
    api.answer = answer("200 OK", json.dumps(doc, separators=(",", ":")).encode())
    p = ctl([url, "status"])
    no_sanitizer_report(p, "status")
    sctest.check(p.returncode == 0, "status: exit 0, got %d: %s" % (p.returncode, p.stderr))
    sctest.check(json.loads(p.stdout) == doc and '\n  "ok": true,\n' in p.stdout and '"x": 0.4,' in p.stdout,
                 "status: the answer indented: %s" % p.stdout)
    sctest.check(api.requests[-1].startswith("GET /api/v1/status HTTP/1.1\r\n") and
                 "Authorization" not in api.requests[-1], "status: GET, no token: %r" % api.requests[-1])
    # error answers: the JSON error message, exit 1
    api.answer = answer("409 Conflict", b'{"error":"still busy \\"step\\"","status":409}')
    refused(ctl([url, "--token", tok, "step-tick", "--slot", "1"]), "409", ['HTTP 409: still busy "step"'])
    sctest.check(api.requests[-1].startswith("POST /api/v1/shadow/step-tick?slot=1 HTTP/1.1\r\n"),
                 "step-tick --slot 1: %r" % api.requests[-1][:60])
    # request bodies are JSON built by a library: a kind with quotes stays one string
    api.answer = answer("200 OK", b'{"ok":true}')
    for args, body in ((["inject", 'as"sert\\'], {"kind": 'as"sert\\'}), (["delay", "2s"], {"ms": 2000}),
                       (["delay", "90t"], {"ticks": 90}), (["pause"], {})):
        p = ctl([url, "--token", tok] + args)
        req = api.requests[-1]
        sent = json.loads(req.split("\r\n\r\n", 1)[1])
        sctest.check(p.returncode == 0 and sent == body and "\r\nContent-Type: application/json\r\n" in req,
                     "%s: sent %s, want %s; exit %d: %s" % (args, sent, body, p.returncode, p.stderr))
    refused(ctl([url, "delay", "5x"]), "delay 5x", ["bad delay"], 2)
    # download: NAME.tar in the current directory, -o FILE, -o - to stdout, one file of a capture
    tar = bytes(range(256)) * 4096
    api.answer = answer("200 OK", tar, "application/x-tar")
    with tempfile.TemporaryDirectory() as d:
        p = ctl([url, "--token", tok, "download", "incident-2-tick-9"], cwd=d)
        sctest.check(p.returncode == 0 and "wrote incident-2-tick-9.tar (1048576 bytes)" in p.stderr,
                     "download: exit 0, got %d: %s" % (p.returncode, p.stderr))
        sctest.check(api.requests[-1].startswith("GET /api/v1/captures/incident-2-tick-9.tar HTTP/1.1\r\n"),
                     "download: %r" % api.requests[-1][:70])
        with open(os.path.join(d, "incident-2-tick-9.tar"), "rb") as f:
            sctest.check(f.read() == tar, "download: the bytes as served")
        p = ctl([url, "--token", tok, "download", "incident-2-tick-9/step-1/frame.png", "-o",
                 os.path.join(d, "f.png")])
        sctest.check(p.returncode == 0 and os.path.getsize(os.path.join(d, "f.png")) == len(tar),
                     "download one file with -o: %d %s" % (p.returncode, p.stderr))
        sctest.check(api.requests[-1].startswith("GET /api/v1/captures/incident-2-tick-9/step-1/frame.png "),
                     "download one file: %r" % api.requests[-1][:70])
    p = ctl([url, "--token", tok, "download", "incident-2-tick-9", "-o", "-"], text=False)
    sctest.check(p.returncode == 0 and p.stdout == tar, "download -o -: the bytes on stdout")
    # hostile capture names: refused before sending
    n = len(api.requests)
    for name in ("a b", "x\r\nX-Evil: 1", "/etc/passwd", "a//b", "a/", "n" * 301, "a?b", ""):
        refused(ctl([url, "--token", tok, "download", name]), "download %r" % name[:20], ["capture name"], 2)
    sctest.check(len(api.requests) == n, "hostile capture names: nothing sent")


if __name__ == "__main__":
    main()
