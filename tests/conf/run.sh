#!/bin/sh
# tests/conf/run.sh: config fixtures. For each case directory holding a
# wicket.conf, runs `$WICKET check-config --dump wicket.conf` from inside it
# (so file names in messages are stable) and compares with:
#   expected  the --dump output (exit 0, nothing on stderr); the dump must
#             also read back to the same dump;
#   error     the exact stderr (exit 1, nothing on stdout).
# Prints TAP, one line per case.
LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd) || exit 99
WICKET=${WICKET:-${WK_TOP_BUILDDIR:-$here/../..}/wicket}

cases=
n=0
for d in "$here"/*/; do
	d=${d%/}
	[ -f "$d/wicket.conf" ] || continue
	cases="$cases ${d##*/}"
	n=$((n + 1))
done

if [ ! -x "$WICKET" ]; then
	echo "1..0 # SKIP wicket binary not found: $WICKET"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wk_conf.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# Prints a file as TAP diagnostics.
diag() {
	sed 's/^/# /' "$1"
}

echo "1..$n"
i=0
failed=0
for c in $cases; do
	i=$((i + 1))
	dir=$here/$c
	(cd "$dir" && exec "$WICKET" check-config --dump wicket.conf) \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=
	if [ -f "$dir/expected" ]; then
		if [ $rc -ne 0 ]; then
			why="exit status $rc, expected 0"
		elif [ -s "$tmp/err" ]; then
			why="unexpected stderr"
		elif ! cmp -s "$dir/expected" "$tmp/out"; then
			why="dump differs"
			diff -u "$dir/expected" "$tmp/out" >"$tmp/diff"
		else
			# The dump must parse back to the same dump.
			cp "$tmp/out" "$tmp/dump.conf"
			(cd "$tmp" && exec "$WICKET" check-config --dump \
			    dump.conf) >"$tmp/out2" 2>"$tmp/err"
			if [ $? -ne 0 ] || ! cmp -s "$tmp/out" "$tmp/out2"; then
				why="dump does not read back to itself"
				diff -u "$tmp/out" "$tmp/out2" >"$tmp/diff"
			fi
		fi
	elif [ -f "$dir/error" ]; then
		if [ $rc -ne 1 ]; then
			why="exit status $rc, expected 1"
		elif [ -s "$tmp/out" ]; then
			why="unexpected stdout"
		elif ! cmp -s "$dir/error" "$tmp/err"; then
			why="errors differ"
			diff -u "$dir/error" "$tmp/err" >"$tmp/diff"
		fi
	else
		why="case has neither expected nor error"
	fi
	if [ -z "$why" ]; then
		echo "ok $i - $c"
		continue
	fi
	failed=$((failed + 1))
	echo "not ok $i - $c: $why"
	if [ -s "$tmp/diff" ]; then
		diag "$tmp/diff"
	elif [ -s "$tmp/err" ]; then
		diag "$tmp/err"
	fi
	rm -f "$tmp/diff"
done
[ $failed -eq 0 ]
