"""web/vendor/: the third-party files the pages serve are the ones web/package.json
and web/package-lock.json pin (scripts/vendor-web.sh copies them from npm):
uPlot's IIFE build and CSS with their SHA-256 sums in SHA256SUMS, the version in
the build's banner equal to the lock file's, the MIT LICENSE beside them, and
the /debug page loading exactly those files. Needs neither Node nor the network."""
import hashlib
import json
import os
import re
import sys

root = sys.argv[1]
web = os.path.join(root, "web")
vendor = os.path.join(web, "vendor", "uplot")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


with open(os.path.join(web, "package.json")) as f:
    pkg = json.load(f)
with open(os.path.join(web, "package-lock.json")) as f:
    lock = json.load(f)
pinned = pkg["dependencies"]["uplot"]
locked = lock["packages"]["node_modules/uplot"]
check(re.fullmatch(r"\d+\.\d+\.\d+", pinned) is not None, "package.json pins an exact uplot version: %s" % pinned)
check(locked["version"] == pinned and locked["license"] == "MIT", "the lock file has uplot %s (MIT): %s" % (pinned, locked))
check(locked["integrity"].startswith("sha512-"), "the lock file has the tarball's integrity")
sums = {}
with open(os.path.join(vendor, "SHA256SUMS")) as f:
    for line in f:
        h, name = line.split()
        sums[name] = h
check(set(sums) == {"uPlot.iife.min.js", "uPlot.min.css", "LICENSE"}, "SHA256SUMS lists the three files: %s" % sums)
for name, h in sums.items():
    with open(os.path.join(vendor, name), "rb") as f:
        check(hashlib.sha256(f.read()).hexdigest() == h, "%s matches SHA256SUMS" % name)
with open(os.path.join(vendor, "uPlot.iife.min.js")) as f:
    banner = f.readline()
check("(v%s)" % pinned in banner, "the build's banner names v%s: %r" % (pinned, banner[:80]))
with open(os.path.join(vendor, "LICENSE")) as f:
    check("MIT License" in f.read(), "uPlot's LICENSE is the MIT license")
with open(os.path.join(web, "debug.html")) as f:
    page = f.read()
check('src="vendor/uplot/uPlot.iife.min.js"' in page and 'href="vendor/uplot/uPlot.min.css"' in page,
      "debug.html loads the vendored uPlot")
if failures:
    sys.exit("web vendor: " + "; ".join(failures))
print("web vendor: uPlot %s, %d files checked" % (pinned, len(sums)))
