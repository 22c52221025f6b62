#!/usr/bin/env bash
# The library's documentation, as CI checks it: every public symbol of the `Tandem` module has a doc
# comment, and DocC builds its catalog (Sources/Tandem/Tandem.docc, the article "Train a Keras model
# from Swift") without a warning. Symbol graphs come from a debug build in .build-docs.
#   Launch/docs-check.sh [OUTPUT.doccarchive]
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=.build-docs/symbol-graphs
archive=${1:-.build-docs/Tandem.doccarchive}
rm -rf "$graphs" && mkdir -p "$graphs"
# The graphs are written when the module compiles: make it compile even if nothing changed since the last check.
touch Sources/Tandem/*.swift
swift build --scratch-path .build-docs --target Tandem \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs" -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public >&2
python3 - "$graphs/Tandem.symbols.json" <<'PY'
import json, sys
graph = json.load(open(sys.argv[1]))
public = [s for s in graph["symbols"] if s["accessLevel"] == "public" and not s.get("spi")]
missing = [".".join(s["pathComponents"]) for s in public if not s.get("docComment")]
print(f"Tandem: {len(public)} public symbols, {len(public) - len(missing)} with a doc comment")
if missing:
    sys.exit("no doc comment: " + ", ".join(sorted(missing)))
PY
only=.build-docs/tandem-graph && rm -rf "$only" && mkdir -p "$only" && cp "$graphs"/Tandem.symbols.json "$only"/
docc convert Sources/Tandem/Tandem.docc --additional-symbol-graph-dir "$only" --output-path "$archive" \
    --fallback-display-name Tandem --fallback-bundle-identifier tandem.Tandem --warnings-as-errors
echo "DocC archive: $archive"
