"""`cmake --install` into a fresh prefix, then the installed binary serves the
player page from any working directory: it finds the web files beside itself
(PREFIX/bin/shadowcast -> PREFIX/share/shadowcast/web), never the source tree;
without them it names the places it looked. Every wait is bounded.

usage: test_install.py CMAKE BUILD_DIR"""
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

SOURCE_WEB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "web"))
ARGS = ["run", "--no-shadow", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
        "--encoder", "x264", "--hang-timeout", "5000"]  # no false hang on a busy CI machine


def env_without_web_root():
    e = dict(os.environ)
    e.pop("SHADOWCAST_WEB_ROOT", None)
    return e


def installed(prefix, *rel):
    return os.path.join(prefix, *rel)


def install(cmake, build, prefix):
    p = subprocess.run([cmake, "--install", build, "--prefix", prefix], capture_output=True, text=True, timeout=120)
    sctest.check(p.returncode == 0, "cmake --install exits 0; got %d: %s%s" % (p.returncode, p.stdout, p.stderr))
    for rel in (("bin", "shadowcast"), ("share", "shadowcast", "web", "index.html"),
                ("share", "shadowcast", "web", "debug.html"), ("share", "doc", "shadowcast", "README.md"),
                ("share", "doc", "shadowcast", "LICENSE"), ("share", "doc", "shadowcast", "docs", "configuration.md"),
                ("share", "shadowcast", "web", "vendor", "uplot", "uPlot.iife.min.js"),
                ("share", "shadowcast", "web", "vendor", "uplot", "uPlot.min.css"),
                ("share", "shadowcast", "web", "vendor", "uplot", "LICENSE")):
        sctest.check(os.path.isfile(installed(prefix, *rel)), "installed: %s" % os.path.join(*rel))
    for rel in (("package.json",), ("package-lock.json",), ("node_modules",)):  # web/'s npm files stay behind
        sctest.check(not os.path.exists(installed(prefix, "share", "shadowcast", "web", *rel)),
                     "not installed: web/%s" % os.path.join(*rel))
    sctest.check(os.access(installed(prefix, "bin", "shadowcast"), os.X_OK), "the installed binary is executable")


def print_config(binary, env):
    return subprocess.run([binary, "run", "--print-config"], capture_output=True, text=True, timeout=60, cwd="/",
                          env=env)


def test_serves_from_anywhere(d, prefix):
    web = os.path.realpath(installed(prefix, "share", "shadowcast", "web"))
    p = print_config(sctest.BIN, env_without_web_root())
    sctest.check(p.returncode == 0 and "web-root = %s\n" % web in p.stdout,
                 "the installed binary's web root is %s; got %d %s %s" % (web, p.returncode, p.stdout, p.stderr))

    s = Session(d, "installed", ARGS + ["--captures", os.path.join(d, "captures")], cwd="/", env=env_without_web_root())
    try:
        s.wait_url(timeout=90)
        status, body = s.get("", timeout=10)
        with open(os.path.join(web, "index.html")) as f:
            page = f.read()
        sctest.check(status == 200 and body == page, "GET / returns the installed player page (status %d)" % status)
        s.wait_for("the encoder logs its web root", lambda: "(web root %s," % web in s.stderr(), 10)
        sctest.check(SOURCE_WEB not in s.stderr(), "nothing is served from the source tree")
        s.proc.send_signal(signal.SIGTERM)
        try:
            rc = s.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.fail("still running 10 s after SIGTERM")
        sctest.check(rc == 0, "exits 0 on SIGTERM, got %d" % rc)
        print("installed: %s serves %s from cwd /" % (sctest.BIN, web))
    finally:
        s.close()


def test_no_web_files(prefix):
    web = installed(prefix, "share", "shadowcast", "web")
    shutil.rmtree(web)
    p = print_config(sctest.BIN, env_without_web_root())
    sctest.check(p.returncode == 2 and "no player page found" in p.stderr and web in p.stderr
                 and "--web-root" in p.stderr and p.stdout == "",
                 "without web files: exit 2 naming %s; got %d %s" % (web, p.returncode, p.stderr))
    e = env_without_web_root()
    e["SHADOWCAST_WEB_ROOT"] = SOURCE_WEB
    p = print_config(sctest.BIN, e)
    sctest.check(p.returncode == 0 and "web-root = %s\n" % SOURCE_WEB in p.stdout,
                 "SHADOWCAST_WEB_ROOT still wins: %s" % p.stderr)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cmake, build = sys.argv[1], sys.argv[2]
    d = sctest.tmpdir()
    prefix = os.path.join(d, "prefix")
    install(cmake, build, prefix)
    sctest.init([sys.argv[0], installed(prefix, "bin", "shadowcast")])
    test_serves_from_anywhere(d, prefix)
    test_no_web_files(prefix)
    shutil.rmtree(d, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
