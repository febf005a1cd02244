#!/usr/bin/env bash
# Places libtdjson.so (TDLib, from the npm package pinned in libtdjson.lock) in native/tdlib/lib/.
# Idempotent: does nothing when the placed copy matches the lock. Fails clearly on a missing npm
# or an integrity mismatch. The .so is never committed (lib/ is gitignored).
# TGFLEET_TDJSON_TARBALL=path uses an already downloaded package tarball (offline machines,
# mirrors); it is checked against the same pinned integrity.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="$here/libtdjson.lock"
dest="$here/lib"
value() { sed -n "s/^$1=//p" "$lock"; }
package="$(value package)"; version="$(value version)"; integrity="$(value integrity)"

stamp="$dest/.placed"
if [[ -f "$dest/libtdjson.so" && -f "$stamp" && "$(cat "$stamp")" == "$package@$version $integrity" ]]; then
  exit 0
fi

command -v openssl >/dev/null 2>&1 || { echo "place-libtdjson: openssl is required to check the tarball's integrity." >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -n "${TGFLEET_TDJSON_TARBALL:-}" ]]; then
  [[ -f "$TGFLEET_TDJSON_TARBALL" ]] || { echo "place-libtdjson: TGFLEET_TDJSON_TARBALL=$TGFLEET_TDJSON_TARBALL is not a file." >&2; exit 1; }
  tarball="$TGFLEET_TDJSON_TARBALL"
else
  command -v npm >/dev/null 2>&1 || { echo "place-libtdjson: npm is required to fetch $package@$version (install Node.js/npm, or set TGFLEET_TDJSON_TARBALL to the package tarball)." >&2; exit 1; }
  if ! (cd "$work" && npm pack --silent "$package@$version" >"$work/pack.log" 2>&1); then
    echo "place-libtdjson: 'npm pack $package@$version' failed:" >&2
    cat "$work/pack.log" >&2
    exit 1
  fi
  tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n1)"
  [[ -n "$tarball" ]] || { echo "place-libtdjson: npm pack produced no tarball." >&2; exit 1; }
fi

algo="${integrity%%-*}"
actual="$algo-$(openssl dgst "-$algo" -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "place-libtdjson: integrity mismatch for $package@$version" >&2
  echo "  pinned in $lock: $integrity" >&2
  echo "  downloaded:      $actual" >&2
  exit 1
fi

tar -xzf "$tarball" -C "$work" package/libtdjson.so package/LICENSE || { echo "place-libtdjson: $tarball does not hold package/libtdjson.so." >&2; exit 1; }
mkdir -p "$dest"
install -m 0755 "$work/package/libtdjson.so" "$dest/libtdjson.so.tmp"
mv -f "$dest/libtdjson.so.tmp" "$dest/libtdjson.so"
cp "$work/package/LICENSE" "$dest/LICENSE.prebuilt-tdlib"
echo "$package@$version $integrity" > "$stamp"
