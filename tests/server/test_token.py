"""The debug API token as an operator and a local attacker see it: given in
$SHADOWCAST_API_TOKEN, in --api-token-file, or generated, it opens the API,
and it is in no process's command line (/proc/PID/cmdline is readable by
every local user). Listening beyond loopback warns what is exposed. Every wait
is bounded."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

ARGS = ["run", "--no-shadow", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles",
        "2000", "--encoder", "x264", "--hang-timeout", "5000"]


def cmdlines(s):
    """{pid: argv bytes} of the supervisor and its children."""
    out = {s.proc.pid: open("/proc/%d/cmdline" % s.proc.pid, "rb").read()}
    for pid in s.wait_children().values():
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            out[pid] = f.read()
    return out


def api_status(s, token):
    """HTTP status of GET /api/v1/incidents with this bearer token."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(s.url + "api/v1/incidents", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def check_session(d, name, args, token, env=None, printed=False):
    s = Session(d, name, args, env=env, token=token if not printed else None)
    try:
        s.wait_url()
        if printed:  # the generated one: the line after the URL line
            deadline = time.monotonic() + 10
            while "debug API token: " not in s.out and time.monotonic() < deadline:
                s.out += s.proc.stdout.readline()
            token = s.out.split("debug API token: ", 1)[1].split()[0] if "debug API token: " in s.out else ""
            sctest.check(len(token) == 32, "%s: a 32-digit token printed: %r" % (name, s.out))
        lines = cmdlines(s)
        sctest.check(len(lines) == 3, "%s: supervisor, primary and encoder found: %s" % (name, list(lines)))
        for pid, argv in lines.items():
            sctest.check(token.encode() not in argv, "%s: the token is not in pid %d's command line: %r"
                         % (name, pid, argv))
        sctest.check(api_status(s, token) == 200, "%s: the token opens the debug API" % name)
        sctest.check(api_status(s, token[:-1] + ("0" if token[-1] != "0" else "1")) == 401,
                     "%s: another token does not" % name)
        sctest.check(token not in s.stderr(), "%s: the token is not logged" % name)
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()


def test_exposed_warning(d):
    """--listen 0.0.0.0 warns before anything starts; run inside a new network
    namespace (only its own loopback, down) so nothing is reachable."""
    unshare = shutil.which("unshare")
    sctest.check(unshare is not None and os.geteuid() == 0,
                 "unshare(1) and root for a private network namespace (the test command runs as root)")
    args = [unshare, "-n", sctest.BIN] + ARGS
    args[args.index("127.0.0.1:0")] = "0.0.0.0:0"
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        err = ""
        while time.monotonic() < deadline and "listening on" not in err:
            line = p.stderr.readline()
            if not line:
                break
            err += line
        sctest.check("listening on 0.0.0.0 without TLS" in err and "debug API" in err,
                     "binding beyond loopback warns what is exposed: %r" % err)
    finally:
        p.kill()
        p.wait(timeout=10)
    s = Session(d, "loopback", ARGS, token="loopback-api-token-123")
    try:
        s.wait_url()
        sctest.check("without TLS" not in s.stderr(), "no warning on loopback")
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    env_token = "env-token-" + os.urandom(8).hex()
    check_session(d, "env", ARGS, env_token)
    file_token = "file-token-" + os.urandom(8).hex()
    path = os.path.join(d, "token")
    with open(path, "w") as f:
        f.write(file_token + "\n")
    os.chmod(path, 0o600)
    check_session(d, "file", ARGS + ["--api-token-file", path], file_token)
    env = dict(os.environ)
    env.pop("SHADOWCAST_API_TOKEN", None)
    check_session(d, "generated", ARGS, None, env=env, printed=True)
    test_exposed_warning(d)
    print("ok")


if __name__ == "__main__":
    main()
