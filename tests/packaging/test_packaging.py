"""packaging/: the systemd unit and the container recipe (docs/deployment.md).

The unit: the hardening the docs promise is there (a dynamic non-root user,
ProtectSystem=strict, PrivateTmp, NoNewPrivileges, one writable directory for
captures, the token through LoadCredential= and --api-token-file
${CREDENTIALS_DIRECTORY}/..., an explicit --listen); `systemd-analyze verify`
finds nothing wrong with it (the binary path pointed at the built one), and
the check itself catches a misspelled key; its command line is one `run`
accepts (--print-config).

The container recipe (not built here): every file it copies exists, it copies
every directory the build reads, the scripts it runs exist and take the
options it gives, the runtime packages it installs provide every shared
library the built binary links (dpkg), its ENTRYPOINT is where `cmake
--install --prefix` puts the binary, its command line is one `run` accepts,
and it runs as a user other than root.

usage: test_packaging.py SOURCE_DIR SHADOWCAST"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SRC, BIN = (os.path.abspath(a) for a in sys.argv[1:3])
UNIT = os.path.join(SRC, "packaging", "systemd", "shadowcast.service")
RECIPE = os.path.join(SRC, "packaging", "container", "Containerfile")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)
    return cond


def unit_keys(text):
    """[(key, value)] of the unit's lines, in order."""
    return [tuple(ln.split("=", 1)) for ln in text.splitlines() if "=" in ln and not ln.lstrip().startswith("#")]


def print_config(args, what):
    p = subprocess.run([BIN, "run"] + args + ["--print-config"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "%s: `run` accepts its command line (rc %d) %s" % (what, p.returncode, p.stderr.strip()))
    return dict(ln.split(" = ", 1) for ln in p.stdout.splitlines() if " = " in ln)


def verify(unit_text):
    """(ok, output) of systemd-analyze verify on unit_text, the binary pointed at the built one."""
    d = tempfile.mkdtemp(prefix="sc-unit-")
    path = os.path.join(d, "shadowcast.service")
    with open(path, "w") as f:
        f.write(unit_text.replace("/usr/local/bin/shadowcast", BIN))
    p = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
    shutil.rmtree(d)
    out = (p.stdout + p.stderr).strip()
    return p.returncode == 0 and not out, out  # a warning (an unknown key: "ignoring") is a failure too


def test_unit():
    with open(UNIT) as f:
        text = f.read()
    kv = unit_keys(text)
    keys = dict(kv)
    for k, v in (("ProtectSystem", "strict"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                 ("ProtectHome", "yes")):
        check(keys.get(k) == v, "unit: %s=%s (got %s)" % (k, v, keys.get(k)))
    check(keys.get("DynamicUser") == "yes" or keys.get("User") not in (None, "root", "0"),
          "unit: a non-root user (DynamicUser=yes or User=)")
    check("ReadWritePaths" not in keys, "unit: no ReadWritePaths (the state directory is the only writable one)")
    state = keys.get("StateDirectory")
    check(state == "shadowcast", "unit: StateDirectory=shadowcast (got %s)" % state)
    cred = re.fullmatch(r"([A-Za-z0-9_.-]+):(/\S+)", keys.get("LoadCredential", ""))
    check(cred is not None, "unit: LoadCredential=NAME:PATH (got %s)" % keys.get("LoadCredential"))
    execs = [v for k, v in kv if k == "ExecStart"]
    check(len(execs) == 1, "unit: one ExecStart")
    argv = shlex.split(execs[0])
    check(argv[:2] == ["/usr/local/bin/shadowcast", "run"], "unit: ExecStart runs `shadowcast run`: %s" % argv[:2])
    args = argv[2:]

    def opt(name):
        return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None
    check(opt("--listen") is not None, "unit: --listen given explicitly (%s)" % opt("--listen"))
    check(cred is not None and opt("--api-token-file") == "${CREDENTIALS_DIRECTORY}/" + cred.group(1),
          "unit: --api-token-file ${CREDENTIALS_DIRECTORY}/<the credential> (%s)" % opt("--api-token-file"))
    check("--api-token" not in args and not [v for k, v in kv if k == "Environment" and "TOKEN" in v],
          "unit: no token on the command line or in the environment")
    check(opt("--captures") is not None and opt("--captures").startswith("/var/lib/%s/" % state),
          "unit: captures inside the state directory (%s)" % opt("--captures"))
    # its command line, as systemd would run it
    cdir = tempfile.mkdtemp(prefix="sc-cred-")
    with open(os.path.join(cdir, cred.group(1) if cred else "api-token"), "w") as f:
        f.write("0123456789abcdef0123456789abcdef")
    conf = print_config([a.replace("${CREDENTIALS_DIRECTORY}", cdir) for a in args], "unit")
    check(conf.get("listen") == opt("--listen"), "unit: listens where it says (%s)" % conf.get("listen"))
    shutil.rmtree(cdir)

    if not check(shutil.which("systemd-analyze") is not None,
                 "systemd-analyze is installed (Debian package systemd: scripts/install-deps.sh installs it)"):
        return
    ok, out = verify(text)
    check(ok, "unit: systemd-analyze verify is clean%s" % (": " + out if out else ""))
    ok, out = verify(text.replace("\nProtectHome=", "\nProtectHom="))
    check(not ok and "ProtectHom" in out, "the check catches a misspelled key (%s)" % out)


def depends_closure(pkgs):
    """pkgs and everything they depend on (Depends, Pre-Depends), as this
    machine's dpkg knows them: what apt-get install would bring in. One
    dpkg-query for every installed package (one per package took seconds)."""
    q = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n"], capture_output=True,
                       text=True, timeout=60)
    deps = {}
    for row in q.stdout.splitlines():
        name, _, rest = row.partition("\t")
        names = [d.split("|")[0].strip().split(" ")[0].split(":")[0] for d in rest.split(",")]
        deps.setdefault(name, set()).update(n for n in names if n)
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(deps.get(p, ()))
    return seen


def owning_packages(paths):
    """{path: package} for the paths dpkg knows (one dpkg -S for all)."""
    p = subprocess.run(["dpkg", "-S"] + sorted(paths), capture_output=True, text=True, timeout=60)
    owners = {}
    for row in p.stdout.splitlines():
        pkg, sep, path = row.partition(": ")
        if sep and not pkg.startswith("diversion by"):
            owners[path.strip()] = pkg.split(",")[0].split(":")[0].strip()
    return owners


def test_container():
    with open(RECIPE) as f:
        text = f.read()
    lines = re.sub(r"\\\n", " ", text).splitlines()
    lines = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    copied = set()
    for ln in lines:
        if ln.startswith("COPY ") and "--from=" not in ln:
            srcs = ln.split()[1:-1]
            for s in srcs:
                copied.add(s.rstrip("/"))
                check(os.path.exists(os.path.join(SRC, s)), "container: COPY %s exists in the repository" % s)
    # what the build reads: CMakeLists.txt's subdirectories (fuzz only with SC_FUZZ) and installed files
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        cm = f.read()
    needed = set(re.findall(r"^add_subdirectory\((\w+)\)", cm, re.M))
    needed |= {m.rstrip("/") for m in re.findall(r"^install\((?:DIRECTORY|FILES) ([^\s)]+)", cm, re.M)}
    needed |= set(re.findall(r"^install\(FILES [^\s]+ ([^\s)]+) DESTINATION", cm, re.M))
    needed |= {"CMakeLists.txt", "scripts"}
    check(needed <= copied, "container: copies everything the build reads (missing: %s)" % sorted(needed - copied))

    # the scripts it runs exist, are executable and take the options given
    runs = [ln[4:] for ln in lines if ln.startswith("RUN ")]
    tmp_copies = {dst: src for ln in lines if ln.startswith("COPY ") and "--from=" not in ln
                  for src, dst in [ln.split()[1:3]] if len(ln.split()) == 3}
    scripts = 0
    for cmd in runs:
        for part in re.split(r"&&|;", cmd):
            argv = shlex.split(part)
            if not argv or not re.search(r"(^|/)scripts/|^/tmp/", argv[0]):
                continue
            rel = tmp_copies.get(argv[0], argv[0])
            path = os.path.join(SRC, rel)
            scripts += 1
            check(os.access(path, os.X_OK), "container: RUN %s: %s is an executable script of the repository"
                  % (argv[0], rel))
            if rel.endswith("install-deps.sh"):
                p = subprocess.run([path] + argv[1:] + ["--list"], capture_output=True, text=True, timeout=30)
                check(p.returncode == 0 and p.stdout.strip(),
                      "container: install-deps.sh %s is accepted (%s)" % (" ".join(argv[1:]), p.stderr.strip()))
    check(scripts >= 3, "container: runs the project's scripts (install-deps.sh, build.sh): %d found" % scripts)
    check(re.search(r"cmake --install build --prefix (\S+)", text) is not None, "container: cmake --install")
    prefix = re.search(r"cmake --install build --prefix (\S+)", text).group(1)

    # the runtime packages provide every shared library the binary links
    runtime = subprocess.run([os.path.join(SRC, "scripts", "install-deps.sh"), "--runtime", "--list"],
                             capture_output=True, text=True, timeout=30).stdout.split()
    if check(shutil.which("dpkg") and shutil.which("ldconfig") and shutil.which("objdump"),
             "dpkg, ldconfig and objdump are installed (build-essential, Debian)"):
        needed_libs = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", BIN], capture_output=True,
                                                                     text=True, timeout=30).stdout)
        closure = depends_closure(runtime)
        cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=30).stdout
        # a sanitizer build links its runtime (libasan, libubsan): not the installed binary's
        found = {}
        for lib in [x for x in needed_libs if not re.match(r"lib(a|ub|t|l)san\.", x)]:
            m = re.search(r"^\s*%s \(.*x86-64.*\) => (\S+)$" % re.escape(lib), cache, re.M) or \
                re.search(r"^\s*%s \(.*\) => (\S+)$" % re.escape(lib), cache, re.M)
            if check(m is not None, "container: %s is a known library" % lib):
                # the path, its link target, each with /lib and /usr/lib (merged /usr), in that order
                found[lib] = [alt for cand in (m.group(1), os.path.realpath(m.group(1)))
                              for alt in (cand, re.sub(r"^/lib", "/usr/lib", cand), re.sub(r"^/usr/lib", "/lib", cand))]
        owners = owning_packages({alt for alts in found.values() for alt in alts})
        for lib, alts in found.items():
            pkg = next((owners[a] for a in alts if a in owners), None)
            check(pkg in closure, "container: %s (package %s) is installed by install-deps.sh --runtime or "
                  "one of its packages' dependencies" % (lib, pkg))

    # where it runs from, how, and as whom
    ep = re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    check(ep and cmd, "container: ENTRYPOINT and CMD in exec form")
    ep, cmd = json.loads(ep.group(1)), json.loads(cmd.group(1))
    check(ep[0] == prefix + "/bin/shadowcast" and ep[1:] == ["run"],
          "container: ENTRYPOINT is the installed binary's `run` (%s)" % ep)
    d = tempfile.mkdtemp(prefix="sc-ctr-")
    conf = print_config([a.replace("/run/secrets", d) for a in cmd], "container")
    check(conf.get("listen") is not None and "--api-token-file" in cmd, "container: --listen and a token file given")
    shutil.rmtree(d)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    check(users and users[-1] not in ("root", "0"), "container: runs as a user other than root (%s)" % users)
    check("FROM debian:bookworm-slim" in text, "container: based on debian:bookworm-slim")


def main():
    test_unit()
    test_container()
    if failures:
        sys.exit("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
    print("ok")


if __name__ == "__main__":
    main()
