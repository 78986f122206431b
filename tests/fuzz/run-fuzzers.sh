#!/bin/bash
# tests/fuzz/run-fuzzers.sh: run every libFuzzer binary for a bounded time.
#
#	tests/fuzz/run-fuzzers.sh SECONDS [BINDIR]
#
# BINDIR holds the fuzz_NAME binaries from `make fuzz` (default: tests/fuzz
# under the current directory, else this script's folder). Each runs for
# SECONDS over a temporary copy of tests/fuzz/corpus/NAME (so new inputs do
# not dirty the tree), with tests/fuzz/NAME.dict when present. The exit
# status is the number of targets that crashed, leaked, timed out on an input
# or failed to start (0: all ok); their crashing inputs and logs are kept and
# the paths printed. Bad usage or no binaries: exit 126.
set -uo pipefail

if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS [BINDIR]" >&2
	exit 126
fi
seconds=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 2 ]; then
	bindir=$2
elif [ -d tests/fuzz ]; then
	bindir=tests/fuzz
else
	bindir=$here
fi

bins=()
for b in "$bindir"/fuzz_*; do
	case "$b" in
	*.c | *.h | *.o | *.dict | *.options) continue ;;
	esac
	[ -f "$b" ] && [ -x "$b" ] && bins+=("$b")
done
if [ ${#bins[@]} -eq 0 ]; then
	echo "run-fuzzers: no fuzz_* binaries in $bindir (run 'make fuzz' first)" >&2
	exit 126
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/wicket-fuzz.XXXXXX")
keep=0
failed=0
for b in "${bins[@]}"; do
	name=${b##*/fuzz_}
	dir=$work/$name
	mkdir -p "$dir/corpus" "$dir/artifacts"
	if [ -d "$here/corpus/$name" ]; then
		cp -R "$here/corpus/$name/." "$dir/corpus/"
	fi
	args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/")
	[ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
	echo "run-fuzzers: $name for ${seconds}s"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$b" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		keep=1
		echo "run-fuzzers: $name FAILED (exit $rc); log: $dir/log" >&2
		for a in "$dir"/artifacts/*; do
			[ -e "$a" ] && echo "run-fuzzers:   input: $a" >&2
		done
		tail -n 30 "$dir/log" >&2
	else
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
		echo "run-fuzzers: $name ok (${execs:-?} runs)"
	fi
done

if [ $keep -eq 0 ]; then
	rm -rf "$work"
fi
if [ $failed -ne 0 ]; then
	echo "run-fuzzers: $failed of ${#bins[@]} targets failed"
	exit $((failed > 125 ? 125 : failed))
fi
echo "run-fuzzers: all ${#bins[@]} targets ok"
