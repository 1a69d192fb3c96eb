"""`shadowcast run` configuration as a user writes it: defaults, the config file,
command-line overrides, and every error with its FILE:LINE. Observed through
`run --print-config`, which prints the effective configuration and exits."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

SOURCE_WEB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "web"))


def parse_config(text):
    out = {}
    for line in text.splitlines():
        k, v = line.split(" = ", 1)
        out[k] = v
    return out


def effective(args, env=None):
    p = run(["run"] + args + ["--print-config"], env=env)
    sctest.check(p.returncode == 0, "run %s --print-config exits 0; got %d: %s" % (args, p.returncode, p.stderr))
    return parse_config(p.stdout)


def run(args, env=None):
    import subprocess
    e = dict(os.environ)
    e.pop("SHADOWCAST_WEB_ROOT", None)
    e.update(env or {})
    return subprocess.run([sctest.BIN] + args, capture_output=True, text=True, timeout=60, env=e)


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_defaults():
    c = effective([])
    want = {"listen": "127.0.0.1:8080", "size": "1280x720", "fps": "60", "particles": "20000", "players": "2",
            "seed": "1", "frame-slots": "4", "device": "auto", "encoder": "auto", "bitrate": "6000",
            "idr-interval": "0", "max-clients": "32", "web-root": SOURCE_WEB, "max-message-bytes": "1024",
            "client-rate": "120", "client-queue-kib": "2048", "client-sndbuf-kib": "256", "captures-quota": "2048",
            "io-uring": "on"}
    for k, v in want.items():
        sctest.check(c.get(k) == v, "default %s = %s; got %r" % (k, v, c.get(k)))
    sctest.check(effective([], env={"SHADOWCAST_WEB_ROOT": "/srv/web"})["web-root"] == "/srv/web",
                 "SHADOWCAST_WEB_ROOT overrides the built-in web root")
    sctest.check(effective(["--web-root", "/x"], env={"SHADOWCAST_WEB_ROOT": "/srv/web"})["web-root"] == "/x",
                 "--web-root overrides SHADOWCAST_WEB_ROOT")


def test_file_and_overrides(d):
    path = write(d, "good.conf", "# a session for tests\n\n"
                 "listen = 127.0.0.1:9000\n"
                 "  size=640x360   \n"
                 "fps = 30   # thirty\n"
                 "players = 4\nseed = 77\nparticles = 0\nframe-slots = 3\n"
                 "device = llvmpipe\nencoder = x264\nvaapi-device = /dev/dri/renderD129\n"
                 "bitrate = 2500\nidr-interval = 120\nmax-clients = 8\nweb-root = /opt/page#1\n")
    c = effective(["--config", path])
    want = {"listen": "127.0.0.1:9000", "size": "640x360", "fps": "30", "players": "4", "seed": "77",
            "particles": "0", "frame-slots": "3", "device": "llvmpipe", "encoder": "x264",
            "vaapi-device": "/dev/dri/renderD129", "bitrate": "2500", "idr-interval": "120",
            "max-clients": "8", "web-root": "/opt/page#1"}
    for k, v in want.items():
        sctest.check(c.get(k) == v, "file sets %s = %s; got %r" % (k, v, c.get(k)))
    # the command line wins, whether it comes before or after --config
    c = effective(["--fps", "45", "--config", path, "--listen", "[::1]:0"])
    sctest.check(c["fps"] == "45" and c["listen"] == "[::1]:0" and c["players"] == "4",
                 "command line overrides the file: %r" % c)
    # the printed configuration is itself a valid config file that reproduces it
    printed = run(["run", "--config", path, "--print-config"]).stdout
    again = run(["run", "--config", write(d, "printed.conf", printed), "--print-config"]).stdout
    sctest.check(printed == again, "--print-config round-trips:\n%s\nvs\n%s" % (printed, again))


def test_file_errors(d):
    cases = [
        ("fps = 30\ncolour = blue\n", 2, "unknown key 'colour'"),
        ("# ok\nfps 30\n", 2, "expected 'key = value'"),
        ("size = 100x100\n", 1, "multiple of 16"),
        ("size = 32x32\n", 1, "between 64x64"),
        ("size = big\n", 1, "WIDTHxHEIGHT"),
        ("\nfps = 0\n", 2, "bad value '0' for fps"),
        ("players = 9\n", 1, "2..8"),
        ("encoder = nvenc\n", 1, "auto, vaapi or x264"),
        ("listen = localhost:80\n", 1, "not an IPv4 address"),
        ("listen = ::1:80\n", 1, "needs brackets"),
        ("listen = [::1]80\n", 1, "[IPV6]:PORT"),
        ("listen = 1.2.3.4:70000\n", 1, "0..65535"),
        ("listen = 1.2.3.4\n", 1, "ADDR:PORT"),
        ("bitrate = 5\n", 1, "100..200000"),
        ("frame-slots = 9\n", 1, "3..8"),
        ("frame-slots = 2\n", 1, "3..8"),
        ("max-clients = 0\n", 1, "1..1024"),
        ("fps =\n", 1, "fps needs a value"),
        ("config = other.conf\n", 1, "cannot be used inside a config file"),
        ("help = yes\n", 1, "unknown key 'help'"),
        ("print-config = 1\n", 1, "unknown key 'print-config'"),
    ]
    for i, (text, line, why) in enumerate(cases):
        path = write(d, "bad%d.conf" % i, text)
        p = run(["run", "--config", path, "--print-config"])
        sctest.check(p.returncode == 2, "bad config exits 2; got %d for %r" % (p.returncode, text))
        sctest.check("%s:%d: " % (path, line) in p.stderr and why in p.stderr,
                     "error names %s:%d and says %r; got: %s" % (path, line, why, p.stderr))
        sctest.check(p.stdout == "", "nothing printed for a bad config")
    # every bad line is reported, not only the first
    path = write(d, "many.conf", "fps = x\nseed = 1\nplayers = 1\nnope = 2\n")
    p = run(["run", "--config", path])
    for line in (1, 3, 4):
        sctest.check("%s:%d: " % (path, line) in p.stderr, "line %d reported: %s" % (line, p.stderr))
    sctest.check("%s:2:" % path not in p.stderr, "a good line is not reported")
    p = run(["run", "--config", os.path.join(d, "missing.conf")])
    sctest.check(p.returncode == 2 and "missing.conf: No such file" in p.stderr, "missing file: " + p.stderr)


def test_command_line_errors():
    for args, why in ((["--size", "100"], "bad value '100' for --size"),
                      (["--size", "72x64"], "multiple of 16"),
                      (["--size", "66x64"], "multiple of 4"),
                      (["--fps", "-1"], "bad value '-1' for --fps"),
                      (["--encoder", "nvenc"], "bad value 'nvenc' for --encoder"),
                      (["--listen", "[::1]:x"], "bad value '[::1]:x' for --listen"),
                      (["--max-message-bytes", "100"], "must be 256..65536"),
                      (["--client-rate", "0"], "must be 1..10000"),
                      (["--client-queue-kib", "1"], "must be 64..65536"),
                      (["--client-sndbuf-kib", "2"], "must be 4..16384"),
                      (["--io-uring", "yes"], "must be on or off"),
                      (["--captures-quota", "1"], "must be 16..1048576"),
                      (["--allow-origin", "evil.example"], "starts with http:// or https://"),
                      (["--bogus"], "unrecognized option '--bogus'"),
                      (["--fps"], "requires an argument"),
                      (["stray"], "unexpected argument 'stray'")):
        p = run(["run"] + args)
        sctest.check(p.returncode == 2 and why in p.stderr,
                     "run %s -> exit 2 with %r; got %d %s" % (args, why, p.returncode, p.stderr))


def test_help():
    p = run(["run", "--help"])
    sctest.check(p.returncode == 0, "run --help exits 0")
    for opt in ("--config FILE", "--listen ADDR:PORT", "--size WxH", "--fps N", "--particles N", "--players N",
                "--seed S", "--frame-slots N", "--device SPEC", "--encoder KIND", "--vaapi-device PATH",
                "--bitrate KBPS", "--idr-interval N", "--max-clients N", "--web-root DIR", "--print-config"):
        sctest.check(opt in p.stdout, "run --help lists %s" % opt)
    # the supervisor's options for its children are not user options: not in
    # the help, refused by `run`, not config file keys
    for opt in ("--restore", "--shadow-slot", "--follow-checkpoint"):
        sctest.check(opt not in p.stdout, "run --help does not list the internal %s" % opt)
    p2 = run(["run", "--restore", "/tmp/x.bin"])
    sctest.check(p2.returncode == 2 and "unrecognized option '--restore'" in p2.stderr,
                 "run refuses --restore: %d %s" % (p2.returncode, p2.stderr))
    p2 = run(["run", "--shadow-slot", "1", "--print-config"])
    sctest.check(p2.returncode == 2 and "unrecognized option '--shadow-slot'" in p2.stderr, "run refuses --shadow-slot")
    d = sctest.tmpdir()
    p2 = run(["run", "--config", write(d, "internal.conf", "restore = /tmp/x.bin\n"), "--print-config"])
    sctest.check(p2.returncode == 2 and "unknown key 'restore'" in p2.stderr, "restore is no config file key")
    # testing-only switches: listed, but under their own heading after every user option
    testing = p.stdout.find("Testing only")
    sctest.check(testing > p.stdout.find("--print-config") > 0, "a 'Testing only' heading after the user options")
    for opt in ("--desync-shadow TICK", "--test-encode-hold-ms MS", "--test-detect-late K",
                "--test-slow-first-submit MS"):
        sctest.check(p.stdout.find(opt) > testing, "%s is listed under 'Testing only'" % opt)
    top = run(["--help"]).stdout
    sctest.check("\n  run " in top and "__child" not in top, "top-level help lists run, hides __child: " + top)


def test_token_sources(d):
    """The debug API token comes from a file or the environment, never the
    command line, and is refused (exit 2, before anything starts) when weak;
    a refused token is never echoed."""
    secret = "s3cret-on-the-command-line"
    p = run(["run", "--api-token", secret])
    sctest.check(p.returncode == 2 and "readable by every local user" in p.stderr and secret not in p.stderr,
                 "run --api-token refused with the reason, the value not echoed: %d %s" % (p.returncode, p.stderr))
    p = run(["run", "--config", write(d, "tok.conf", "api-token = %s\n" % secret), "--print-config"])
    sctest.check(p.returncode == 2 and "tok.conf:1: api-token is not taken" in p.stderr and secret not in p.stderr,
                 "api-token is no config file key, the value not echoed: %s" % p.stderr)
    p = run(["run", "--help"])
    sctest.check("--api-token-file FILE" in p.stdout and "--api-token TOKEN" not in p.stdout,
                 "help lists --api-token-file, not --api-token")
    c = effective(["--api-token-file", "/etc/x-token"])
    sctest.check(c.get("api-token-file") == "/etc/x-token" and secret not in str(c), "print-config names the file")
    bad = [
        (["--api-token-file", os.path.join(d, "missing")], {}, "No such file"),
        (["--api-token-file", write(d, "short", "abc\n")], {}, "shorter than 16 characters"),
        (["--api-token-file", write(d, "blank", "has a blank in it ok\n")], {}, "not printable ASCII without blanks"),
        (["--api-token-file", write(d, "long", "x" * 200)], {}, "longer than 127"),
        ([], {"SHADOWCAST_API_TOKEN": "short"}, "from $SHADOWCAST_API_TOKEN is shorter than 16"),
    ]
    for args, env, why in bad:
        p = run(["run", "--listen", "127.0.0.1:0"] + args, env=env)
        sctest.check(p.returncode == 2 and why in p.stderr,
                     "run %s %s -> exit 2 with %r; got %d %s" % (args, env, why, p.returncode, p.stderr[-500:]))


def test_child_misuse():
    p = run(["__child", "primary"])
    sctest.check(p.returncode == 2 and "usage: shadowcast __child" in p.stderr, "__child without --ipc-fd")
    p = run(["__child", "spectre", "--ipc-fd", "3"])
    sctest.check(p.returncode == 2 and "unknown role 'spectre'" in p.stderr, "__child with an unknown role")
    p = run(["__child", "encoder", "--ipc-fd", "9"])
    sctest.check(p.returncode == 2 and "not a SOCK_SEQPACKET socket" in p.stderr,
                 "__child by hand, without the supervisor's socket: " + p.stderr)


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_defaults()
    test_file_and_overrides(d)
    test_file_errors(d)
    test_command_line_errors()
    test_help()
    test_token_sources(sctest.tmpdir())
    test_child_misuse()
    print("ok")


if __name__ == "__main__":
    main()
