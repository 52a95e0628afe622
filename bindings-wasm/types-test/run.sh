#!/usr/bin/env bash
# Type-checks the npm package's TypeScript declarations (bindings-wasm/types/) with the
# TypeScript compiler pinned in package.json:
#   1. the declarations alone, without the DOM library or Node's types;
#   2. check.ts, which uses them like a bot does; every `@ts-expect-error` in it must meet
#      an error, so wrong parameters are proven to be rejected.
set -euo pipefail
cd "$(dirname "$0")"

pinned=$(node -p 'require("./package.json").devDependencies.typescript')
installed=$(node -p 'try { require("./node_modules/typescript/package.json").version } catch { "" }')
if [ "$installed" != "$pinned" ]; then
	npm ci --no-audit --no-fund
fi

echo "tsc $(npx tsc --version | sed 's/^Version //'): declarations"
npx tsc -p tsconfig.declarations.json
echo "tsc: check.ts"
npx tsc -p .
echo "TypeScript declarations OK"
