"""`shadowcast run` driven from a test: start it, wait for the URL, read
/metrics and the debug API, find its children, stop it. Every wait is bounded."""
import json
import os
import re
import select
import subprocess
import time
import urllib.request

import sctest


SESSION_LABEL = re.compile(r'\{session="[^"\\]*"(\}|,)')


def strip_session(text):
    """/metrics text without the session label: NAME{session="x"} -> NAME,
    NAME{session="x",a="b"} -> NAME{a="b"}."""
    return SESSION_LABEL.sub(lambda m: "" if m.group(1) == "}" else "{", text)


class Session:
    def __init__(self, d, name, args, cwd=None, env=None, token=None):
        """Runs in d (the log goes there too) unless cwd says otherwise. token: the debug API
        token, handed over in $SHADOWCAST_API_TOKEN (never on the command line)."""
        self.api_token = token
        if token is not None:
            env = dict(env if env is not None else os.environ, SHADOWCAST_API_TOKEN=token)
        self.log_path = os.path.join(d, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sctest.BIN] + list(args), stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     cwd=cwd or d, env=env)
        self.out = ""
        self.url = None

    def stderr(self):
        with open(self.log_path) as f:
            return f.read()

    def fail(self, msg):
        raise AssertionError("%s\n--- supervisor stdout:\n%s\n--- log:\n%s" % (msg, self.out, self.stderr()))

    def wait_url(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"shadowcast: open (https?://127\.0\.0\.1:\d+/)\n", self.out)
            if m:
                self.url = m.group(1)
                return self.url
            if self.proc.poll() is not None:
                self.fail("supervisor exited %d before printing the URL" % self.proc.returncode)
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                self.out += line
        self.fail("no URL line within %d s" % timeout)

    def get(self, path, timeout=3, raw=False, headers=None):
        """(status, body). /metrics without raw: the session label every series
        carries (session="ADDR:PORT" or --session-name, docs/protocol.md) is
        taken out, so the tests about counters read NAME VALUE lines."""
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read().decode()
            if path == "metrics" and not raw:
                body = strip_session(body)
            return r.status, body

    def metric(self, name):
        _, body = self.get("metrics")
        m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
        if not m:
            self.fail("/metrics has no %s" % name)
        return int(m.group(1))

    def children(self):
        """{role: pid} of the supervisor's __child processes; of several in one role (a
        paused shadow held beside the one following) the newest. Newest by start time,
        not by pid: pids wrap (at 32768 here), and a CI run did: the restored primary's
        new shadow got pid 332 beside the held one's 32405, and a test killed the
        held one for the follower."""
        out, started = {}, {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    stat = f.read()
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # from field 3, the state
            ppid, start = int(fields[1]), int(fields[19])  # fields 4 and 22 (starttime)
            if ppid == self.proc.pid and len(argv) > 2 and argv[1] == b"__child" and fields[0] != "Z":
                role = argv[2].decode()
                if role not in out or (start, int(pid)) > started[role]:
                    out[role], started[role] = int(pid), (start, int(pid))
        return out

    def wait_children(self, roles=("primary", "encoder"), not_pids=(), timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            c = self.children()
            if all(r in c and c[r] not in not_pids for r in roles):
                return c
            time.sleep(0.1)
        self.fail("children %s (not %s) not running within %d s: %s" % (roles, not_pids, timeout, self.children()))

    def wait_for(self, what, cond, timeout=30):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                if cond():
                    return
            except OSError as e:  # the server is restarting
                last = e
            time.sleep(0.2)
        self.fail("%s: not within %d s (last error: %s)" % (what, timeout, last))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()

    def metrics(self):
        """{name: value} of every unlabelled sample on /metrics."""
        _, body = self.get("metrics")
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^([a-z_]+) ([0-9.e+-]+)$", body, re.M)}

    def token(self):
        """The debug API token: give it with Session(token=...) (stdout is read line by line only up to the URL)."""
        if self.api_token is None:
            self.fail("the test must pass Session(token=...) to use the debug API")
        return self.api_token

    def api(self, path, method="GET", body=None, timeout=5):
        """(status, parsed JSON) of a debug API call; HTTP errors are answers too."""
        req = urllib.request.Request(self.url + "api/v1/" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + self.token()})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "null")


def gone(pid):
    """Exited: no /proc entry, or a zombie left for whoever adopted it."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def frames_grow(s, name, by=10, timeout=30):
    start = s.metric(name)
    s.wait_for("%s grows by %d from %d" % (name, by, start), lambda: s.metric(name) >= start + by, timeout)
