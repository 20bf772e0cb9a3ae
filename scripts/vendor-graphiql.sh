#!/usr/bin/env bash
# Vendor the GraphiQL playground's browser assets into api/assets/graphiql/ so
# the API binary can serve them itself (no CDN at run time).
#
# Only `npm pack` against the npm registry is used: each pinned package tarball
# is downloaded, checked against its pinned registry integrity (sha512), then
# the UMD bundles and licence files are copied out. VERSIONS records, for every
# vendored file, the package@version it came from and its sha256; the script
# finishes by checking the written files against VERSIONS (sha256sum -c).
#
# Re-runnable: it overwrites only the files it manages (index.html is left as is).
# Usage: scripts/vendor-graphiql.sh          (download + write + verify)
#        scripts/vendor-graphiql.sh --check  (only verify the files against VERSIONS)
set -euo pipefail

# graphiql 3.9.0 is the newest 3.x; 4.x+ no longer ships the UMD bundle.
# Its UMD bundle expects only the React and ReactDOM globals (the fonts are
# inlined as data: URLs in the CSS), so no other bundle is needed.
GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

# Registry dist.integrity of each pinned tarball (`npm view PKG@VER dist.integrity`).
declare -A INTEGRITY=(
  [graphiql@3.9.0]='sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA=='
  [react@18.3.1]='sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=='
  [react-dom@18.3.1]='sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=='
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/api/assets/graphiql"

# Check every file listed in VERSIONS ("package@version file sha256") with sha256sum -c.
verify() {
  local versions="$DEST/VERSIONS"
  [[ -s "$versions" ]] || { echo "error: $versions missing or empty" >&2; return 1; }
  (cd "$DEST" && awk 'NF == 3 { print $3 "  " $2 }' VERSIONS | sha256sum --strict -c -)
}

if [[ "${1:-}" == "--check" ]]; then
  verify
  exit 0
fi

command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 1; }
command -v node >/dev/null || { echo "error: node is required" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# fetch SPEC: npm pack SPEC into $TMP, check its integrity, extract it to $TMP/<name>/.
fetch() {
  local spec="$1" name="${1%@*}" tgz actual
  tgz="$(cd "$TMP" && npm pack --silent "$spec" | tail -n 1)"
  [[ -f "$TMP/$tgz" ]] || { echo "error: npm pack $spec produced no tarball" >&2; exit 1; }
  actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$TMP/$tgz")"
  if [[ "$actual" != "${INTEGRITY[$spec]}" ]]; then
    echo "error: integrity mismatch for $spec" >&2
    echo "  expected ${INTEGRITY[$spec]}" >&2
    echo "  actual   $actual" >&2
    exit 1
  fi
  mkdir -p "$TMP/$name"
  tar -xzf "$TMP/$tgz" -C "$TMP/$name"
  # sanity: the tarball really is the pinned version
  local got
  got="$(node -p 'require(process.argv[1]).version' "$TMP/$name/package/package.json")"
  [[ "$got" == "${spec##*@}" ]] || { echo "error: $spec tarball says version $got" >&2; exit 1; }
  echo "fetched $spec ($tgz)"
}

fetch "graphiql@$GRAPHIQL_VERSION"
fetch "react@$REACT_VERSION"
fetch "react-dom@$REACT_VERSION"

# package@version | source path inside the package | destination file name
MANIFEST=(
  "graphiql@$GRAPHIQL_VERSION|graphiql.min.js|graphiql.min.js"
  "graphiql@$GRAPHIQL_VERSION|graphiql.min.css|graphiql.min.css"
  "graphiql@$GRAPHIQL_VERSION|LICENSE|LICENSE.graphiql"
  "react@$REACT_VERSION|umd/react.production.min.js|react.production.min.js"
  "react@$REACT_VERSION|LICENSE|LICENSE.react"
  "react-dom@$REACT_VERSION|umd/react-dom.production.min.js|react-dom.production.min.js"
  "react-dom@$REACT_VERSION|LICENSE|LICENSE.react-dom"
)

# Stage everything first, then move into place, so a failure leaves DEST untouched.
STAGE="$TMP/stage"
mkdir -p "$STAGE"
: > "$STAGE/VERSIONS"
for entry in "${MANIFEST[@]}"; do
  IFS='|' read -r spec src dst <<< "$entry"
  name="${spec%@*}"
  file="$TMP/$name/package/$src"
  [[ -s "$file" ]] || { echo "error: $spec has no $src" >&2; exit 1; }
  cp "$file" "$STAGE/$dst"
  printf '%s %s %s\n' "$spec" "$dst" "$(sha256sum "$STAGE/$dst" | cut -d' ' -f1)" >> "$STAGE/VERSIONS"
done

mkdir -p "$DEST"
for entry in "${MANIFEST[@]}"; do
  IFS='|' read -r _ _ dst <<< "$entry"
  install -m 0644 "$STAGE/$dst" "$DEST/$dst"
done
install -m 0644 "$STAGE/VERSIONS" "$DEST/VERSIONS"

verify
echo "vendored GraphiQL assets into ${DEST#"$ROOT"/}"
