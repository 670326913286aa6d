#!/bin/bash
# Write the kernel tree's commits (base..HEAD) to patches/, with the cover letter
# text from series/cover-letter.txt (first line: subject, rest: body).
. "$(dirname "$0")/lib.sh"

[ -e "$SRC/.git" ] || die "no kernel tree at $SRC (make tree)"
[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ] || die "commit your edits in $SRC first"
n=$(git -C "$SRC" rev-list --count base..HEAD)
tmp=$(mktemp -d)
git -C "$SRC" -c core.abbrev=12 format-patch -q --zero-commit --no-signature --cover-letter \
	--subject-prefix="PATCH bpf-next" -o "$tmp" base..HEAD
cover=$tmp/0000-cover-letter.patch
subject=$(head -n1 "$ROOT/series/cover-letter.txt")
tail -n +3 "$ROOT/series/cover-letter.txt" >"$tmp/blurb"
sed -i -e "s|\*\*\* SUBJECT HERE \*\*\*|$subject|" \
       -e "/\*\*\* BLURB HERE \*\*\*/{r $tmp/blurb
d}" -e '/^Date: /d' "$cover"
sed -i '/^Date: /d' "$tmp"/*.patch
rm -f "$tmp/blurb" "$ROOT"/patches/*.patch
mv "$tmp"/*.patch "$ROOT/patches/"
rmdir "$tmp"
mapfile -t series < <(ls "$ROOT"/patches/[0-9]*.patch | grep -v '/0000-cover-letter.patch$')
echo "$(cat "${series[@]}" | sha256sum | cut -c1-16) $(git -C "$SRC" rev-parse HEAD)" >"$BUILD/series.stamp"
log "export: $n patches + cover letter in patches/"
