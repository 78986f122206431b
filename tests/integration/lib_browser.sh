# tests/integration/lib_browser.sh: headless Chromium for the browser tests
# (sourced after lib.sh).
#   wk_require_chromium        sets CHROMIUM, or skips the whole file
#   wk_chromium NAME SECONDS ARG...
#                              runs Chromium with a private HOME, profile and
#                              TMPDIR under $WK_T/NAME (whatever is there, e.g. an
#                              NSS db in $WK_T/NAME/home/.pki/nssdb, is used), the
#                              flags a root, headless, offline run needs, and ARGs;
#                              DOM on $WK_T/NAME.dom, stderr on $WK_T/NAME.err;
#                              sets CHROME_RC; kills what is left of it after.

wk_require_chromium() {
	local c
	CHROMIUM=${WK_CHROMIUM:-}
	if [ -z "$CHROMIUM" ]; then
		for c in chromium chromium-browser; do
			if command -v "$c" >/dev/null 2>&1; then
				CHROMIUM=$(command -v "$c")
				break
			fi
		done
	fi
	[ -n "$CHROMIUM" ] || wk_skip_all "chromium is not installed"
}

wk_chromium() {
	local d=$WK_T/$1 secs=$2 pid p rest=
	shift 2
	mkdir -p "$d/home" "$d/profile" "$d/tmp"
	HOME=$d/home XDG_CONFIG_HOME=$d/home/.config \
	    XDG_CACHE_HOME=$d/home/.cache TMPDIR=$d/tmp \
	    setsid timeout -k 5 "$secs" "$CHROMIUM" --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --disable-extensions --disable-dev-shm-usage \
	    --user-data-dir="$d/profile" \
	    "$@" </dev/null >"$d.dom" 2>"$d.err" &
	pid=$!
	WK_PIDS="$WK_PIDS $pid"
	wait "$pid"
	CHROME_RC=$?
	kill -KILL -- "-$pid" 2>/dev/null
	for p in $WK_PIDS; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	WK_PIDS=$rest
}
