#!/bin/sh
# The adapters (the JSON API, the pages, the calendar feed) reach the store only through the
# application layer (crates/server/src/clinic). Files not yet moved there are listed in
# .ci/store-reaching-adapters.txt; the list may only shrink: a file that is not on it and reaches
# the store fails, and so does a listed file that no longer does (take it off the list).
set -eu
cd "$(dirname "$0")/.."
list=.ci/store-reaching-adapters.txt
found=$(grep -rlE '(app|self)\.store\b|needlepath_store::Store\b|dyn Store\b' crates/server/src/api crates/server/src/pages crates/server/src/calendar | sort)
fail=0
for f in $found; do
  if ! grep -qx "$f" "$list"; then
    echo "$f reaches the store directly; call a use case in crates/server/src/clinic instead"
    fail=1
  fi
done
for f in $(grep -v '^#' "$list"); do
  if ! echo "$found" | grep -qx "$f"; then
    echo "$f no longer reaches the store: take it off $list"
    fail=1
  fi
done
[ "$fail" = 0 ] || exit 1
echo "ok: $(grep -vc '^#' "$list") adapter files still to move; no other adapter reaches the store"
