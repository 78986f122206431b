# tests/integration/lib_tls.sh: TLS helpers for the integration tests
# (sourced after lib.sh).
#
# wk_tls_certs_make: makes the test certificates (servers/make_test_certs.sh)
#   in $WK_T/certs, once per test file. Sets WK_TLS_CERTS (that folder) and
#   WK_TESTCA (the test root CA to give wicket). In it, NAME.pem / NAME.key
#   for NAME = testca, good, expired, wronghost, unknownca, unknown, and
#   good-chain.pem (good.pem + testca.pem).
# wk_tls_origin_start NAME CERT [ARGS...]: starts servers/tls_origin.py (an
#   HTTPS origin serving origin.py's endpoints) on 127.0.0.1, kernel-chosen
#   port. CERT is a name from the list above (good, expired, ...), or a path
#   to a .pem whose key is the .key beside it, or "-" for none (with
#   --raw-echo). ARGS go to tls_origin.py: --tls-min 1.2|1.3,
#   --tls-max 1.2|1.3, --alpn http/1.1, --raw-echo, --host ::1, ...
#   Sets WK_TLS_PORT, WK_TLS_LOG, WK_TLS_SERVER_PID; writes $WK_T/NAME.port;
#   logs to $WK_T/NAME.log (SNI, handshake results, requests), its
#   stdout/stderr to $WK_T/NAME.out. Bails out if it does not start.
# wk_tls_port NAME: prints the port of the server started as NAME.
# wk_tls_log_wait NAME ERE [SECONDS]: waits for a line in $WK_T/NAME.log.

WK_TESTCA=
WK_TLS_CERTS=
WK_TLS_PORT=
WK_TLS_LOG=
WK_TLS_SERVER_PID=

wk_tls_certs_make() {
	WK_TLS_CERTS=$WK_T/certs
	if [ ! -s "$WK_TLS_CERTS/testca.pem" ]; then
		if ! bash "$WK_SERVERS/make_test_certs.sh" "$WK_TLS_CERTS" \
		    >"$WK_T/make_test_certs.out" 2>&1; then
			echo "Bail out! make_test_certs.sh failed"
			sed 's/^/# /' "$WK_T/make_test_certs.out"
			exit 99
		fi
	fi
	WK_TESTCA=$WK_TLS_CERTS/testca.pem
	export WK_TESTCA WK_TLS_CERTS
}

wk_tls_origin_start() {
	local name=$1 cert=$2 key pf log pid
	shift 2
	pf=$WK_T/$name.port
	log=$WK_T/$name.log
	case "$cert" in
	-) set -- "$@" ;;
	*/* | *.pem)
		key=${cert%.pem}.key
		set -- --cert "$cert" --key "$key" "$@" ;;
	*)
		[ -n "$WK_TLS_CERTS" ] || wk_tls_certs_make
		set -- --cert "$WK_TLS_CERTS/$cert.pem" \
		    --key "$WK_TLS_CERTS/$cert.key" "$@" ;;
	esac
	rm -f "$pf"
	: >"$log"
	setsid "$WK_PY" "$WK_SERVERS/tls_origin.py" --port-file "$pf" \
	    --log "$log" "$@" </dev/null >>"$WK_T/$name.out" 2>&1 &
	pid=$!
	WK_PIDS="$WK_PIDS $pid"
	if ! wk_retry 15 test -s "$pf"; then
		echo "Bail out! tls origin $name did not start"
		sed 's/^/# /' "$WK_T/$name.out"
		exit 99
	fi
	WK_TLS_PORT=$(cat "$pf")
	WK_TLS_LOG=$log
	WK_TLS_SERVER_PID=$pid
	export WK_TLS_PORT
}

wk_tls_port() {
	cat "$WK_T/$1.port"
}

wk_tls_log_wait() {
	wk_log_wait "$2" "${3:-5}" "$WK_T/$1.log"
}
