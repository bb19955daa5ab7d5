#!/usr/bin/env bash
# Vendor the chart libraries that `summarizer report` inlines into its HTML file.
#
# Reproducible: pinned versions, fetched with `npm pack` from the configured npm
# registry, only each package's build/<name>.min.js kept. Writes
# summarizer/outputs/vendor/{vega,vega-lite,vega-embed}.min.js and VERSIONS.txt
# (version and sha256 of each file). Re-run after changing a version below and commit
# the result; nothing is downloaded at report time.
set -euo pipefail

VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/summarizer/outputs/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null
mkdir -p "$dest"
{
  echo "# Inlined by summarizer/outputs/report.py; regenerate with scripts/vendor_js.sh"
  for spec in "vega:$VEGA" "vega-lite:$VEGA_LITE" "vega-embed:$VEGA_EMBED"; do
    name="${spec%%:*}"
    version="${spec#*:}"
    tar xzf "$name-$version.tgz" --to-stdout "package/build/$name.min.js" >"$dest/$name.min.js"
    sum="$(sha256sum "$dest/$name.min.js" | cut -d' ' -f1)"
    echo "$name $version $name.min.js sha256:$sum"
  done
} >"$dest/VERSIONS.txt"
cat "$dest/VERSIONS.txt"
