#!/bin/bash
# checkpatch.pl --strict over every patch of the series (not the cover letter).
. "$(dirname "$0")/lib.sh"
[ -x "$SRC/scripts/checkpatch.pl" ] || die "no kernel tree (make tree)"
rc=0
for p in "$ROOT"/patches/[0-9]*.patch; do
	case $p in */0000-cover-letter.patch) continue ;; esac
	echo "== $(basename "$p")"
	(cd "$SRC" && scripts/checkpatch.pl --strict --show-types -q "$p") || rc=1
done
exit $rc
