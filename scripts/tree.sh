#!/bin/bash
# Make $SRC: the base unpacked as a git repo (tag "base"), with patches/ applied by git am.
# A tree holding commits or edits that were not exported is left alone (FORCE=1 resets it).
. "$(dirname "$0")/lib.sh"

have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
[ -n "$have" ] || die "$BASE_PKG is not installed (run scripts/deps.sh)"
tarball=$(dpkg -L "$BASE_PKG" | grep -m1 '\.tar\.xz$') || die "no tarball in $BASE_PKG"
[ "$have" = "$BASE_VERSION" ] || log "WARNING: installed $BASE_PKG is $have, the series was tested on $BASE_VERSION"

# Fixed identity and dates: the base commit gets the same id on every machine.
git_k() {
	GIT_AUTHOR_NAME=harness GIT_AUTHOR_EMAIL=harness@localhost \
	GIT_COMMITTER_NAME=harness GIT_COMMITTER_EMAIL=harness@localhost \
	GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
	git -C "$SRC" -c core.autocrlf=false -c gc.auto=0 "$@"
}

if [ "$(git -C "$SRC" tag -l --format='%(contents:subject)' base 2>/dev/null)" != "$BASE_PKG $have" ]; then
	log "tree: unpacking $tarball ($BASE_PKG $have) into $SRC"
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	tar -xf "$tarball" -C "$SRC.tmp" --strip-components=1
	mv "$SRC.tmp" "$SRC"
	# Debian's .gitignore ignores every top-level entry, which would hide new
	# files from git in the work tree. Drop that block (the only change made
	# to the tarball's content; the series never touches .gitignore).
	sed -i '/^# Debian packaging: ignore everything/,$d' "$SRC/.gitignore"
	git_k init -q
	git -C "$SRC" config gc.auto 0
	git_k add -A -f
	git_k commit -q -m "$BASE_PKG $have"
	git_k tag -a base -m "$BASE_PKG $have"
	rm -f "$BUILD/series.stamp"
fi

mapfile -t series < <(ls "$ROOT"/patches/[0-9]*.patch 2>/dev/null | grep -v '/0000-cover-letter.patch$' || true)
series_id=$(cat /dev/null "${series[@]}" | sha256sum | cut -c1-16)
head=$(git -C "$SRC" rev-parse HEAD)
[ -f "$BUILD/series.stamp" ] && read -r st_series st_head <"$BUILD/series.stamp"

dirty=$(git -C "$SRC" status --porcelain --untracked-files=no)
if [ "${FORCE:-0}" != 1 ] && { [ -n "$dirty" ] || { [ -n "${st_head:-}" ] && [ "$head" != "$st_head" ]; }; }; then
	log "tree: $SRC holds unexported work: testing it as it is (make export saves it, FORCE=1 resets it)"
	exit 0
fi
if [ "${st_series:-}" = "$series_id" ] && [ "$head" = "${st_head:-}" ]; then
	log "tree: up to date ($(git -C "$SRC" rev-list --count base..HEAD) patches on base)"
	exit 0
fi

log "tree: applying ${#series[@]} patches on base"
git_k am --abort >/dev/null 2>&1 || true
git_k reset -q --hard base
git_k clean -q -fdx
for p in "${series[@]}"; do
	if ! git_k am -q --keep-cr "$p"; then
		git_k am --abort >/dev/null 2>&1 || true
		die "patch $(basename "$p") does not apply to $BASE_PKG $have (series tested on $BASE_VERSION): rebase the series"
	fi
done
echo "$series_id $(git -C "$SRC" rev-parse HEAD)" >"$BUILD/series.stamp"
log "tree: $(git -C "$SRC" rev-list --count base..HEAD) patches applied"
