#!/usr/bin/env bash
# Regenerates onnx.pb.swift from onnx.proto (ONNX 1.23.2's, as its PyPI wheel ships it) with protoc
# (Debian protobuf-compiler) and swift-protobuf's protoc-gen-swift, built from the package this project
# depends on. Run once after changing either; commit the result (the plugin's first build takes minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repository=$(cd "$here/../../.." && pwd)
command -v protoc >/dev/null || { echo "generate.sh: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
(cd "$repository" && swift build -c release --product protoc-gen-swift)
protoc --plugin=protoc-gen-swift="$repository/.build/release/protoc-gen-swift" \
    --swift_out="$here" --proto_path="$here" "$here/onnx.proto"
echo "generate.sh: wrote $here/onnx.pb.swift"
