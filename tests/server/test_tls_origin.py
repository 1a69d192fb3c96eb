"""TLS and the WebSocket Origin rule as an operator and a browser see them:
with --tls-cert/--tls-key the URL is https, /healthz and the debug API answer
over TLS (verified against the certificate), the WebSocket upgrades over TLS
and plain HTTP is not served; a page of another origin cannot open /stream
unless --allow-origin names it; a bad certificate is refused at start. Every
wait is bounded."""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

ARGS = ["run", "--no-shadow", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles",
        "2000", "--encoder", "x264", "--hang-timeout", "5000"]
TOKEN = "tls-test-api-token-0123"


def make_cert(d, name="cert"):
    """A self-signed certificate for 127.0.0.1 (the recipe docs/configuration.md gives)."""
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + "-key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=60)
    sctest.check(p.returncode == 0, "openssl made a certificate: %s" % p.stderr)
    return cert, key


def upgrade(port, origin=None, tls_ctx=None):
    """The status line of a WebSocket upgrade to /stream (b"" when the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls_ctx:
        s = tls_ctx.wrap_socket(s, server_hostname="127.0.0.1")
    req = ("GET /stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: shadowcast.v1\r\n" % port)
    if origin:
        req += "Origin: %s\r\n" % origin
    s.sendall((req + "\r\n").encode())
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    s.close()
    return data.split(b"\r\n", 1)[0]


def port_of(url):
    return int(re.search(r":(\d+)/$", url).group(1))


def test_tls(d):
    cert, key = make_cert(d)
    s = Session(d, "tls", ARGS + ["--tls-cert", cert, "--tls-key", key], token=TOKEN)
    try:
        url = s.wait_url()
        sctest.check(url.startswith("https://127.0.0.1:"), "the URL line says https: %s" % url)
        port = port_of(url)
        ctx = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen(url + "healthz", timeout=10, context=ctx) as r:
            sctest.check(r.status == 200 and r.read() == b"ok\n", "/healthz over TLS")
        req = urllib.request.Request(url + "api/v1/incidents", headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            sctest.check(r.status == 200, "the debug API over TLS")
        line = upgrade(port, origin="https://127.0.0.1:%d" % port, tls_ctx=ctx)
        sctest.check(line.startswith(b"HTTP/1.1 101"), "wss upgrade from the page's own https origin: %r" % line)
        # plain HTTP on the TLS port is not served
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
                plain = r.status
        except Exception as e:  # noqa: BLE001 - any failure is the expected refusal
            plain = str(e)
        sctest.check(plain != 200, "no plain-HTTP answer on the TLS port: %r" % (plain,))

        # SIGHUP reloads a renewed certificate: same port, the new certificate served
        new_cert, new_key = make_cert(d, "renewed")
        os.replace(new_cert, cert)
        os.replace(new_key, key)
        pid = s.wait_children()["encoder"]
        os.kill(s.proc.pid, signal.SIGHUP)
        s.wait_children(not_pids=(pid,), timeout=20)
        s.wait_for("the encoder serves again", lambda: "encoder serving again on port %d" % port in s.stderr(), 30)
        renewed = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen(url + "healthz", timeout=10, context=renewed) as r:
            sctest.check(r.status == 200, "/healthz with the renewed certificate after SIGHUP")
        try:
            urllib.request.urlopen(url + "healthz", timeout=10, context=ctx)
            sctest.check(False, "the old certificate is still served after SIGHUP")
        except urllib.error.URLError as e:
            sctest.check("CERTIFICATE_VERIFY_FAILED" in str(e), "the old certificate no longer verifies: %s" % e)
        sctest.check("encoder exited (status 0) for the reload; starting it again" in s.stderr() and
                     "restarting in" not in s.stderr(), "the reload is no crash: no back-off")
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()
    # a certificate that is not one: refused at start, exit 2, nothing started
    bad = os.path.join(d, "bad.pem")
    with open(bad, "w") as f:
        f.write("not a certificate\n")
    p = subprocess.run([sctest.BIN] + ARGS + ["--tls-cert", bad, "--tls-key", key], capture_output=True, text=True,
                       timeout=60)
    sctest.check(p.returncode == 2 and "not a PEM file" in p.stderr, "bad --tls-cert refused: %d %s"
                 % (p.returncode, p.stderr))
    p = subprocess.run([sctest.BIN] + ARGS + ["--tls-cert", cert], capture_output=True, text=True, timeout=60)
    sctest.check(p.returncode == 2 and "needs both --tls-cert and --tls-key" in p.stderr, "cert without key refused")


def test_origin(d):
    s = Session(d, "origin", ARGS + ["--allow-origin", "https://dev.example:8443"], token=TOKEN)
    try:
        port = port_of(s.wait_url())
        own = "http://127.0.0.1:%d" % port
        for origin, want in ((own, True), (None, True), ("https://dev.example:8443", True),
                             ("http://evil.example", False), ("https://127.0.0.1:%d" % port, False),
                             ("null", False)):
            line = upgrade(port, origin)
            sctest.check(line.startswith(b"HTTP/1.1 101") == want,
                         "upgrade with Origin %r: %s, got %r" % (origin, "taken" if want else "refused", line))
        sctest.check("refused a WebSocket upgrade from origin http://evil.example" in s.stderr(),
                     "the refusal is logged with the origin")
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_tls(d)
    test_origin(d)
    print("ok")


if __name__ == "__main__":
    main()
