"""A real Prometheus (Debian package `prometheus`) scrapes two shadowcast
servers on loopback (issue 11, docs/prometheus.md): after two scrapes of
each, Prometheus's HTTP API has both servers' series, and queries over both
answer one result per server: the particle pass's mean GPU time and the p50
frame time from the histograms (which Prometheus only computes when the
exposition is a valid histogram). Prometheus asks for OpenMetrics (its
Accept header), so what it stores came through our OpenMetrics answer: every
series carries the server's session label (`--session-name` for one, the
listen address for the other), and with exemplar storage on, the frame-time
histogram's exemplars name ticks (GET /api/v1/query_exemplars). Without a
prometheus binary it fails (scripts/install-deps.sh installs the package):
never skipped."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.loads(r.read().decode())
    sctest.check(body["status"] == "success", "query %s: %s" % (q, body))
    return body["data"]["result"]


def main():
    sctest.init(sys.argv)
    prom = shutil.which("prometheus")
    sctest.check(prom is not None, "a prometheus binary (Debian package prometheus; scripts/install-deps.sh "
                                   "installs it)")
    d = sctest.tmpdir()
    servers, proc, log = [], None, None
    try:
        for name in ("a", "b"):
            s = Session(d, name, ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30",
                                  "--particles", "2000", "--encoder", "x264", "--no-shadow", "--hang-timeout", "5000",
                                  "--captures", os.path.join(d, "captures-" + name)] +
                        (["--session-name", "server-a"] if name == "a" else []))
            servers.append(s)
            s.wait_url()
        targets = ["127.0.0.1:%s" % urllib.parse.urlparse(s.url).port for s in servers]
        port = free_port()
        conf = os.path.join(d, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: shadowcast\n    static_configs:\n"
                    "      - targets: [%s]\n" % ", ".join("'%s'" % t for t in targets))
        log = open(os.path.join(d, "prometheus.log"), "w")
        proc = subprocess.Popen([prom, "--config.file", conf, "--storage.tsdb.path", os.path.join(d, "tsdb"),
                                 "--web.listen-address", "127.0.0.1:%d" % port, "--enable-feature=exemplar-storage"],
                                stdout=log, stderr=log)
        deadline = time.monotonic() + 90
        up = []
        while time.monotonic() < deadline:
            try:
                up = query(port, "count_over_time(up{job=\"shadowcast\"}[5m]) >= 2")
                if len(up) == 2 and all(float(u["value"][1]) >= 2 for u in up) and \
                        len(query(port, "up{job=\"shadowcast\"} == 1")) == 2:
                    break
            except OSError:
                pass  # not listening yet
            if proc.poll() is not None:
                sctest.check(False, "prometheus exited %d (log %s)" % (proc.returncode, log.name))
            time.sleep(0.5)
        sctest.check(len(up) == 2, "two scrapes of both servers, both up: %s" % up)
        series = query(port, "shadowcast_frames_rendered_total")
        sctest.check(sorted(r["metric"]["instance"] for r in series) == sorted(targets),
                     "both servers' series: %s" % series)
        sessions = {r["metric"]["instance"]: r["metric"].get("session") for r in series}
        sctest.check(sessions == {targets[0]: "server-a", targets[1]: targets[1]},
                     "the session labels (--session-name, else the listen address): %s" % sessions)
        now = time.time()
        url = "http://127.0.0.1:%d/api/v1/query_exemplars?%s" % (port, urllib.parse.urlencode(
            {"query": "shadowcast_frame_time_seconds_bucket", "start": now - 300, "end": now + 10}))
        with urllib.request.urlopen(url, timeout=5) as r:
            ex = json.loads(r.read().decode())
        sctest.check(ex["status"] == "success", "query_exemplars: %s" % ex)
        with_ex = {e["seriesLabels"]["instance"] for e in ex["data"] if e["exemplars"]}
        sctest.check(with_ex == set(targets), "exemplars from both servers: %s" % ex["data"][:2])
        ticks = [int(x["labels"]["tick"]) for e in ex["data"] for x in e["exemplars"]]
        sctest.check(ticks and all(t > 0 for t in ticks) and all(set(x["labels"]) == {"tick"} for e in ex["data"]
                                                                for x in e["exemplars"]),
                     "every exemplar names a tick: %s" % ticks[:10])
        mean = query(port, 'sum by (instance) (shadowcast_gpu_pass_seconds_sum{pass="particles",role="primary"}) / '
                           'sum by (instance) (shadowcast_gpu_pass_seconds_count{pass="particles",role="primary"})')
        sctest.check(len(mean) == 2, "the particle pass's mean over both servers: %s" % mean)
        p50 = query(port, "histogram_quantile(0.5, sum by (le, instance) (shadowcast_frame_time_seconds_bucket))")
        sctest.check(len(p50) == 2 and all(float(r["value"][1]) > 0 for r in p50),
                     "the p50 frame time of each server from its histogram: %s" % p50)
        print("prometheus scrape: ok (%s)" % ", ".join("%s p50 frame %.1f ms" % (r["metric"]["instance"],
                                                                               float(r["value"][1]) * 1000)
                                                       for r in p50))
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if log:
            log.close()
        for s in servers:
            s.close()


if __name__ == "__main__":
    main()
