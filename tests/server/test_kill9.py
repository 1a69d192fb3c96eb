"""kill -9 of each process in turn at seeded random moments, the supervisor
included (docs/configuration.md "Processes and crashes").

1. One session with shadow tracking (--on-fault restore): a player on
   /stream sends inputs all along; the encoder, the primary and the shadow
   are each killed KILL_ROUNDS times, in a seeded random order, at a seeded
   random moment. After each kill the system comes back: a new process in the
   role, frames encoded again, a shadow following the primary again, /healthz
   on the same URL (the encoder keeps the port). Then QUICK_KILLS more in
   quick succession (roles drawn at random, each 0..1 s after the previous
   one's replacement appeared: while the system is still recovering), and a
   full recovery after the last. Afterwards nothing the docs
   promise is lost: every event of every acked input is applied in exactly
   one tick record (GET /api/v1/ticks) with the content sent, or its client
   got an input_dropped naming it (a restore drops the dying tick's inputs);
   no incident but the primary kills, one capture each, no checkpoint file
   left; no process crashed but the killed ones; SIGTERM stops it with exit 0.
2. The supervisor killed at a seeded random moment from its start (while
   its children start, or running), SUP_KILLS times: every child ends, no
   descendant is left, /dev/shm holds nothing new and the port is free.

The seed is printed; SC_KILL_SEED=N reruns one. Every wait is bounded."""
import ctypes
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, gone  # noqa: E402
from scws import WsClient, events_of  # noqa: E402

TOKEN = "kill9-test-token-0123456789"
KILL_ROUNDS = 2  # per role
SUP_KILLS = 3
QUICK_KILLS = 4  # in quick succession, after the orderly ones
ARGS = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
        "--encoder", "x264", "--delay", "30t", "--hang-timeout", "5000"]


def pattern(i):
    return ({"move": [(i % 7) - 3, (i % 5) - 2]}, {"block": True}, {"move": [1, -1], "block": False},
            {"move": [2, (i % 3) - 1], "block": True, "shoot": True})[i % 4]


class Player:
    """One player at a time on slot 0, reconnecting when the encoder dies;
    sends an input every 30 ms (below the 120/s limit)."""

    def __init__(self, s):
        self.s = s
        self.clients = []
        self.stop = False
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _connect(self):
        port = int(self.s.url.rsplit(":", 1)[1].strip("/"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.stop:
            try:
                c = WsClient(port, "player-%d" % len(self.clients))
                hello = c.join(0)
                if hello.get("type") == "hello":
                    self.clients.append(c)
                    return c
                c.close()  # the old encoder's slot not yet free: try again
            except (OSError, AssertionError):
                pass
            time.sleep(0.2)
        return None

    def _run(self):
        try:
            c, i = None, 0
            while not self.stop:
                if c is None or c.closed is not None:
                    c = self._connect()
                    if c is None:
                        if not self.stop:
                            self.error = "the player could not join again within 30 s"
                        return
                try:
                    c.input(pattern(i))
                except OSError:
                    continue  # closed: reconnect
                i += 1
                time.sleep(0.03)
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = repr(e)

    def finish(self):
        self.stop = True
        self.thread.join(timeout=40)
        # every message still open gets its ack (or its connection closed)
        for c in self.clients:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and c.closed is None and len(c.acks) < len(c.sent):
                time.sleep(0.05)


class TickPoller:
    """Reads every tick record as it is published, by record sequence
    (GET /api/v1/ticks?record_from=), every 0.5 s: superseded records (a
    restored primary re-runs ticks; a new match numbers ticks from 0 again)
    are read like any other, keyed by record_seq."""

    def __init__(self, s):
        self.s = s
        self.records = {}
        self.next_seq = 0
        self.stop = False
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def poll(self):
        try:
            for _ in range(64):  # bounded: 64 x 1024 records a poll
                st, r = self.s.api("ticks?record_from=%d&count=1024" % self.next_seq)
                if st == 404:
                    return  # nothing newer published yet
                if st == 410:
                    self.errors.append("tick records from %d were overwritten before they were read: %s"
                                       % (self.next_seq, r))
                    return
                if st != 200:
                    return
                for rec in r["records"]:
                    if rec["inputs"] is None:
                        self.errors.append("tick %d (record %d): %s" % (rec["tick"], rec["record_seq"],
                                                                       rec.get("inputs_error")))
                    else:
                        self.records[rec["record_seq"]] = rec
                    self.next_seq = rec["record_seq"] + 1
                if len(r["records"]) < 1024:
                    return
        except (OSError, ValueError, KeyError):
            pass  # the encoder (the API) is restarting

    def _run(self):
        while not self.stop:
            self.poll()
            time.sleep(0.5)

    def finish(self):
        self.stop = True
        self.thread.join(timeout=30)
        self.poll()


def history(records):
    """{log seq: (tick, input)} applied and dropped by the records that stand:
    in record order, a record that takes the input log from seq_begin again (a
    restored primary re-running ticks) supersedes what was taken from there on."""
    applied, dropped = {}, {}
    for _, rec in sorted(records.items()):
        for m in (applied, dropped):
            for k in [k for k in m if k >= rec["seq_begin"]]:
                del m[k]
        for i in rec["inputs"]:
            sctest.check(i["seq"] not in applied, "log seq %d applied twice" % i["seq"])
            applied[i["seq"]] = (rec["tick"], i)
        for i in rec["dropped"]:
            dropped[i["seq"]] = (rec["tick"], i)
    return applied, dropped


def check_inputs(s, player, poller):
    """Every acked event applied once with its content, or told dropped (or,
    for a connection an encoder kill closed, dropped untold: docs/protocol.md)."""
    acked = []  # (client, ack)
    for c in player.clients:
        acked += [(c, a) for a in c.acks if a["n_events"] > 0]
    sctest.check(len(acked) > 100, "enough acked inputs: %d" % len(acked))
    hi = max(a["log_seq"] + a["n_events"] for _, a in acked)
    s.wait_for("the primary past the last acked input",
               lambda: any(r["seq_end"] >= hi for r in list(poller.records.values())), 60)
    poller.finish()
    sctest.check(not poller.errors, "every record read with its inputs: %s" % poller.errors[:5])
    applied, dropped = history(poller.records)
    n_applied = n_told = n_untold = 0
    for c, a in acked:
        told = {d["log_seq"]: d for d in c.dropped()}
        for k, ev in enumerate(events_of(c.sent[a["seq"]])):
            ls = a["log_seq"] + k
            if ls in told:
                new_match = told[ls]["reason"] == "new_match"
                sctest.check(ls not in applied and (new_match or ls in dropped),
                             "log seq %d told dropped (%s): not applied%s" % (ls, told[ls]["reason"],
                                                                              "" if new_match else ", listed dropped"))
                n_told += 1
                continue
            got = applied.get(ls)
            if got is None and c.closed is not None:
                n_untold += 1  # its connection ended with an encoder kill: it cannot be told
                continue
            sctest.check(got is not None, "%s: log seq %d (event %d of seq %d, ack tick %d) in no tick record, "
                         "no input_dropped names it%s" % (c.name, ls, k, a["seq"], a["tick"],
                                                          " (dropped untold)" if ls in dropped else ""))
            i = got[1]
            sctest.check((i["player"], i["action"], i["a"], i["b"]) == (0,) + ev,
                         "log seq %d applied as sent: %s %s" % (ls, got, ev))
            n_applied += 1
    return len(acked), n_applied, n_told, n_untold


def shadow_following(s, not_pid=None):
    """A shadow running behind the primary (not_pid: a new one, not that one)."""
    _, st = s.api("status")
    return any(b["state"] == "running" and b["alive"] and b["pid"] != not_pid and b["lag_ticks"] >= 0
               for b in st["shadows"])


def following_pid(s):
    _, st = s.api("status")
    return next((b["pid"] for b in st["shadows"] if b["state"] == "running" and b["alive"]), None)


def recovered(s, role, old_pid, url, shadow_pid):
    """The role's process back, frames encoded again, a shadow following (a
    new one after a primary or shadow kill: the old one paused or died)."""
    s.wait_children(roles=("primary", "encoder", "shadow"), not_pids=(old_pid,), timeout=60)
    s.wait_for("/healthz after the %s kill" % role, lambda: s.get("healthz")[0] == 200, 30)
    sctest.check(s.url == url, "the same URL")
    start = s.metric("shadowcast_frames_encoded_total")
    s.wait_for("frames encoded after the %s kill" % role,
               lambda: s.metric("shadowcast_frames_encoded_total") >= start + 5, 60)
    new = shadow_pid if role in ("primary", "shadow") else None
    s.wait_for("a shadow following after the %s kill" % role, lambda: shadow_following(s, new), 60)
    if role == "primary":
        s.wait_for("the new primary on the status", lambda: s.api("status")[1]["primary"]["pid"] != old_pid, 30)


def test_children(d, rng):
    captures = os.path.join(d, "captures")
    s = Session(d, "kill9", ARGS + ["--captures", captures], token=TOKEN)
    player = poller = None
    try:
        url = s.wait_url()
        s.wait_children(roles=("primary", "encoder", "shadow"))
        s.wait_for("a shadow following", lambda: shadow_following(s), 60)
        player = Player(s)
        poller = TickPoller(s)
        order = [r for r in ("encoder", "primary", "shadow") for _ in range(KILL_ROUNDS)]
        rng.shuffle(order)
        killed = {}
        for role in order:
            time.sleep(rng.uniform(0.1, 2.5))  # a random moment of its work
            pid = s.children()[role]
            shadow_pid = following_pid(s)
            t0 = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            killed.setdefault(role, []).append(pid)
            recovered(s, role, pid, url, shadow_pid)
            print("kill -9 %s (pid %d): back in %.1f s" % (role, pid, time.monotonic() - t0))
            sctest.check(player.error is None, "the player: %s" % player.error)
        # then kills that land while the system is still recovering from the
        # previous one: the next role killed 0..1 s after the last one's
        # replacement appeared (before frames flow again, or a new shadow follows)
        quick = [rng.choice(("encoder", "primary", "shadow")) for _ in range(QUICK_KILLS)]
        t0 = time.monotonic()
        last = None
        for role in quick:
            if last is not None:
                s.wait_children(roles=(last[0],), not_pids=(last[1],), timeout=60)
            time.sleep(rng.uniform(0.0, 1.0))
            dead = tuple(p for pids in killed.values() for p in pids)
            pid = s.wait_children(roles=(role,), not_pids=dead, timeout=60)[role]
            os.kill(pid, signal.SIGKILL)
            killed.setdefault(role, []).append(pid)
            last = (role, pid)
        recovered(s, last[0], last[1], url, None)
        print("kill -9 %s in quick succession: back in %.1f s" % (" ".join(quick), time.monotonic() - t0))
        sctest.check(player.error is None, "the player: %s" % player.error)
        order += quick
        time.sleep(1)
        player.finish()
        sctest.check(player.error is None, "the player: %s" % player.error)
        n_acked, n_applied, n_told, n_untold = check_inputs(s, player, poller)
        m = s.metrics()
        log = s.stderr()
        crashed = [ln for ln in log.splitlines() if "exited (signal" in ln and "signal 9" not in ln]
        sctest.check(not crashed, "no process crashed but the killed ones: %s" % crashed)
        sctest.check(m.get("shadowcast_incidents_total", 0) <= len(killed.get("primary", [])),
                     "incidents only for the primary kills: %s" % m.get("shadowcast_incidents_total"))
        report = re.search(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error: ", log)
        sctest.check(report is None, "no sanitizer report: %s" % (log[report.start():report.start() + 3000]
                                                                  if report else ""))
        # and after all that, a clean stop
        s.proc.send_signal(signal.SIGTERM)
        try:
            rc = s.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.fail("supervisor still running 10 s after SIGTERM")
        sctest.check(rc == 0, "the supervisor exits 0 on SIGTERM after the kills, got %d" % rc)
        # each incident capture the shadow wrote is kept (none for an incident
        # it could not pause for, or past the --crash-loop threshold: the
        # supervisor says so); no checkpoint file left behind (removed once a
        # new shadow loaded it, or when its primary exited; a killed primary's
        # when the next one starts: test_checkpoint_files.py)
        left = sorted(os.listdir(captures)) if os.path.isdir(captures) else []
        written = sorted(set(re.findall(r"capture written: \S+/(incident-[^\s/]+)", log)))
        sctest.check([n for n in left if n.startswith("incident-")] == written,
                     "every incident capture written is kept: on disk %s, written %s" % (left, written))
        sctest.check(not [n for n in left if n.startswith(".")], "no checkpoint file left: %s" % left)
        print("%d kills (%s): %d acked inputs, %d events applied once, %d dropped and told, %d dropped untold "
              "(their connection ended with an encoder kill), %d connections, %d tick records read, %s"
              % (len(order), " ".join(order), n_acked, n_applied, n_told, n_untold, len(player.clients),
                 len(poller.records), "a crash loop (new matches)" if "crash loop:" in log else
                 "a new match" if "starting a new match" in log else "every incident restored"))
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        if poller:
            poller.stop = True
        if player:
            player.stop = True
            for c in player.clients:
                c.close()
        s.close()


def descendants_of(pids):
    """Every live process whose parent is in pids (transitively)."""
    out, frontier = set(), set(pids)
    while frontier:
        nxt = set()
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    stat = f.read()
            except OSError:
                continue
            rest = stat[stat.rindex(")") + 2:].split()
            if int(rest[1]) in frontier and rest[0] != "Z" and int(p) not in out:
                nxt.add(int(p))
        out |= nxt
        frontier = nxt
    return out


def port_free(port):
    sk = socket.socket()
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sk.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        sk.close()


def reap():
    """Reap the orphans this process adopted as subreaper."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def test_supervisor(d, rng, n):
    shm_before = set(os.listdir("/dev/shm"))
    s = Session(d, "sup-kill-%d" % n, ARGS + ["--captures", os.path.join(d, "captures-sup")], token=TOKEN)
    try:
        at = rng.uniform(0.0, 4.0)  # from its start: during the children's start or after
        deadline = time.monotonic() + at
        seen = set()
        while time.monotonic() < deadline:
            try:
                if s.url is None:
                    s.wait_url(timeout=max(0.05, min(0.2, deadline - time.monotonic())))
            except AssertionError:
                pass
            seen |= descendants_of([s.proc.pid])
            time.sleep(0.02)
        seen |= descendants_of([s.proc.pid])
        kids = s.children()
        s.proc.kill()
        s.proc.wait(timeout=10)
        t0 = time.monotonic()
        # orphans come to this process (the subreaper): all of them must end
        left = set()
        while time.monotonic() < t0 + 10:
            reap()
            left = {p for p in seen | descendants_of([os.getpid()]) if not gone(p)}
            if not left:
                break
            time.sleep(0.05)
        took = time.monotonic() - t0
        if left:
            for p in left:
                os.kill(p, signal.SIGKILL)
            s.fail("processes outlived the killed supervisor (killed at %.2f s): %s" % (at, sorted(left)))
        # the port the encoder bound, printed or not yet
        m = re.search(r"ws: listening on 127\.0\.0\.1:(\d+)", s.stderr())
        port = int(m.group(1)) if m else None
        if port is not None:
            sctest.check(port_free(port), "port %d free after the supervisor's death" % port)
        new = set(os.listdir("/dev/shm")) - shm_before
        sctest.check(not new, "nothing new in /dev/shm: %s" % sorted(new))
        print("supervisor kill -9 at %.2f s (children %s, port %s): every process gone in %.2f s, port free, "
              "/dev/shm clean" % (at, sorted(kids), port if port is not None else "not bound yet", took))
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    seed = int(os.environ.get("SC_KILL_SEED") or random.SystemRandom().randrange(1 << 32))
    print("seed %d (SC_KILL_SEED=%d reruns it)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    # orphans are adopted by this process, so none escapes the check
    PR_SET_CHILD_SUBREAPER = 36
    sctest.check(ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0,
                 "prctl(PR_SET_CHILD_SUBREAPER)")
    d = sctest.tmpdir()
    try:
        test_children(d, rng)
        for n in range(SUP_KILLS):
            test_supervisor(d, rng, n)
    except BaseException:
        print("FAILED with seed %d (SC_KILL_SEED=%d reruns it); logs in %s" % (seed, seed, d), flush=True)
        raise
    print("ok (seed %d)" % seed)


if __name__ == "__main__":
    main()
