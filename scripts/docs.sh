#!/usr/bin/env bash
# Builds the DocC catalogs of the two public libraries, Supervision and AMQPPublisher, with
# warnings as errors: a broken symbol link (``Type/method(_:)``) fails the script.
# Usage: scripts/docs.sh [OUTPUT_DIR=.build-docs/site]
#   DOCS_SCRATCH=.build   reuse the main build folder instead of .build-docs (its modules are then
#                         rebuilt with symbol graphs, and again by the next plain `swift build`).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${DOCS_SCRATCH:-.build-docs}"
out="${1:-.build-docs/site}"
docc="${DOCC:-$(dirname "$(readlink -f "$(command -v swift)")")/docc}"
graphs="$scratch/symbol-graphs"
modules=(Supervision AMQPPublisher)

# The graphs are written when a module compiles: keep the folder, so that an up-to-date build
# (which compiles nothing) still finds them.
for module in "${modules[@]}"; do
    # One `swift build` per target: several --target options build the whole package.
    swift build --scratch-path "$scratch" --target "$module" \
        -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs/all" >&2
done

for module in "${modules[@]}"; do
    # Only this module's graphs (its dependencies' graphs land in the same folder).
    [ -f "$graphs/all/$module.symbols.json" ] || {
        echo "no symbol graph for $module in $graphs/all: the build compiled nothing;" \
            "touch Sources/$module/*.swift, or remove $scratch" >&2
        exit 1
    }
    rm -rf "${graphs:?}/$module"
    mkdir -p "$graphs/$module"
    cp "$graphs/all/$module.symbols.json" "$graphs/$module/"
    cp "$graphs/all/$module"@*.symbols.json "$graphs/$module/" 2>/dev/null || true
    rm -rf "${out:?}/$module"
    mkdir -p "$out"
    "$docc" convert "Sources/$module/Docs.docc" \
        --fallback-display-name "$module" --fallback-bundle-identifier "edge-video.$module" \
        --additional-symbol-graph-dir "$graphs/$module" \
        --output-path "$out/$module" --warnings-as-errors
done
echo "docs: ${modules[*]} built without warnings into $out"
