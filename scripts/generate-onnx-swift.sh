#!/usr/bin/env bash
# Regenerates Sources/ONNX/Generated/onnx.pb.swift from Sources/ONNX/Generated/onnx.proto
# (ONNX's own schema, Apache-2.0, copied unchanged from the `onnx` Python wheel:
# python3 -c "import onnx, os; print(os.path.dirname(onnx.__file__))"/onnx.proto).
#
# Not run in CI: the generated file is committed. Needs
#   - protoc (Debian: apt-get install protobuf-compiler), and
#   - protoc-gen-swift from apple/swift-protobuf at the version Package.swift uses
#     (about 2-10 minutes to build; kept outside the repository):
#       git clone https://github.com/apple/swift-protobuf "$PLUGIN_SOURCE" && cd "$PLUGIN_SOURCE" && git checkout 1.39.0
#       swift build -c release --product protoc-gen-swift --scratch-path "$PLUGIN_SCRATCH"
#
# Usage: scripts/generate-onnx-swift.sh [path/to/protoc-gen-swift]
#   (default: $PROTOC_GEN_SWIFT, else protoc-gen-swift on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:-${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}}"
if [[ -z "$plugin" || ! -x "$plugin" ]]; then
    echo "error: protoc-gen-swift not found; pass its path or set PROTOC_GEN_SWIFT (see the comment at the top of $0)" >&2
    exit 1
fi
command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
folder=Sources/ONNX/Generated
# Visibility=Public: the ONNX module's tests read the messages too.
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$folder" \
    --swift_opt=Visibility=Public --swift_out="$folder" "$folder/onnx.proto"
echo "wrote $folder/onnx.pb.swift ($(wc -l < "$folder/onnx.pb.swift") lines) with $(protoc --version)"
