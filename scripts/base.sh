#!/bin/bash
# The unpatched kernel, for comparisons: build/base/linux is a worktree of
# build/linux at tag "base" plus the patches of patches/ that touch only the
# selftests (test_progs does not build on the bare base, see patch 1), and
# build/base/obj-$VARIANT its kernel, same config. Paths relative to build/base
# match the patched build's, so ccache serves what did not change.
. "$(dirname "$0")/lib.sh"

base=$BUILD/base
mapfile -t st_only < <(for p in "$ROOT"/patches/[0-9]*.patch; do
	case $p in */0000-cover-letter.patch) continue ;; esac
	grep '^diff --git ' "$p" | grep -qv ' a/tools/testing/selftests/' || echo "$p"
done)
want=$(cat /dev/null "${st_only[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$base/series.stamp" 2>/dev/null)" != "$want" ] || [ ! -d "$base/linux" ]; then
	git -C "$SRC" worktree remove --force "$base/linux" 2>/dev/null || rm -rf "$base/linux"
	git -C "$SRC" worktree prune
	mkdir -p "$base"
	git -C "$SRC" worktree add -q --detach "$base/linux" base
	: >"$base/left-out"
	for p in "${st_only[@]}"; do
		# A selftests patch that edits what a kernel patch of the series
		# changed (patch 68 moves field_matrix's expect[] of the whole
		# series into a header) cannot apply here: leave it out, say so.
		git -C "$base/linux" -c user.name=harness -c user.email=harness@localhost am -q "$p" \
			>/dev/null 2>&1 && continue
		git -C "$base/linux" am --abort
		basename "$p" >>"$base/left-out"
	done
	echo "$want" >"$base/series.stamp"
fi
log "base: $(git -C "$base/linux" rev-list --count base..HEAD) selftests-only patches on base"
[ -s "$base/left-out" ] && log "base: left out (they do not apply without the kernel patches): $(tr '\n' ' ' <"$base/left-out")"
BUILD=$base "$ROOT/scripts/build.sh" kernel
