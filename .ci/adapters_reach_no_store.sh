#!/bin/sh
# The adapters (the JSON API, the pages, the calendar feed, authentication, the delivery worker)
# reach the store only through the application layer (crates/server/src/clinic). The compiler
# enforces it — the store handle is `clinic::Records`, whose `store()` is visible only inside
# `clinic` — and this check keeps anyone from handing an adapter a store of its own.
set -eu
cd "$(dirname "$0")/.."
found=$(grep -rlE 'needlepath_store::Store\b|dyn Store\b|\.store\(\)|Arc<dyn needlepath_store' \
  crates/server/src --include=*.rs | grep -v '^crates/server/src/clinic/' | grep -v '^crates/server/src/lib.rs$' | sort || true)
if [ -n "$found" ]; then
  for f in $found; do
    echo "$f reaches the store directly; call a use case in crates/server/src/clinic instead"
  done
  exit 1
fi
# lib.rs only hands the store to the application layer when the service starts.
if grep -nE '\.store\(\)|store\.[a-z_]+\(' crates/server/src/lib.rs; then
  echo "crates/server/src/lib.rs uses the store; only clinic::Records::new may receive it there"
  exit 1
fi
echo "ok: only crates/server/src/clinic reaches the store"
