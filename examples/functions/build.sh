#!/usr/bin/env bash
# Regenerates the example functions' .wasm files from their .wat sources.
# Needs wat2wasm from WABT (Debian: apt-get install -y wabt). The .wasm files are checked in,
# so the build and the tests do not need WABT; run this after editing a .wat file.
set -euo pipefail
cd "$(dirname "$0")"
command -v wat2wasm >/dev/null || { echo "wat2wasm not found: apt-get install -y wabt" >&2; exit 1; }
for wat in *.wat; do
  wat2wasm "$wat" -o "${wat%.wat}.wasm"
  echo "built ${wat%.wat}.wasm"
done
