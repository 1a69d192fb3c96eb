#!/usr/bin/env bash
# Refreshes the third-party files the pages serve (web/vendor/) from npm, as
# pinned by web/package.json and web/package-lock.json: uPlot's IIFE build,
# its CSS and its LICENSE, with their SHA-256 sums (web/vendor/uplot/SHA256SUMS,
# checked by the test web_vendor). Run it after changing the pinned version,
# then commit web/vendor/. Not part of the build: the built and installed
# pages need neither Node nor the network (docs/profiling.md "The /debug plots").
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund
mkdir -p vendor/uplot
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE \
   vendor/uplot/
version=$(node -p 'require("./node_modules/uplot/package.json").version')
cd vendor/uplot
sha256sum uPlot.iife.min.js uPlot.min.css LICENSE > SHA256SUMS
echo "vendor-web: uPlot $version in web/vendor/uplot"
