# Suite: --help lists only options some code reads, or says "not implemented
# yet" for them (issue 9; SPEC §7's table is the contract); --tls-cert/--tls-key
# start errors (exit 2, a message naming the file) and a good pair serving https.
bash "$RC_ROOT/test/lib/opts-readers.sh" "$RC_ROOT"

# --tls-cert/--tls-key (docs/tls.md): both or neither; a file that cannot be read, is not
# PEM, or a key that does not belong to the certificate stops the start with exit 2 and a
# message naming the file; a good pair starts serving TLS.
tlsdir=$(mktemp -d "${RC_TMP:-/tmp}/opts-tls.XXXXXX")
trap 'rm -rf "$tlsdir"' EXIT
mkcert() { # mkcert NAME: a self-signed P-256 certificate and key for localhost
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
		-keyout "$tlsdir/$1.key" -out "$tlsdir/$1.pem" >/dev/null 2>&1
}
port=$(bash -c '. "$RC_ROOT/test/lib/servers.sh"; rc_free_port')
mkcert a && mkcert b && echo "not a certificate" >"$tlsdir/junk.pem"
tls_case() { # tls_case NAME WANT_REGEX ARGS...: exit status 2 and stderr matching WANT_REGEX
	local name=$1 want=$2 out status
	shift 2
	out=$(timeout 10 "$RC_NOTIFIER" --conformance --listen "127.0.0.1:$port" "$@" 2>&1 >/dev/null)
	status=$?
	if [ "$status" = 2 ] && grep -qE -- "$want" <<<"$out"; then
		echo "ok - opts: $name exits 2: $(grep -oE -- "$want" <<<"$out" | head -1)"
	else
		echo "not ok - opts: $name: want exit 2 and /$want/, got $status: $out"
	fi
}
tls_case "--tls-cert without --tls-key" "--tls-cert and --tls-key go together: --tls-key is missing" --tls-cert "$tlsdir/a.pem"
tls_case "--tls-key without --tls-cert" "--tls-cert and --tls-key go together: --tls-cert is missing" --tls-key "$tlsdir/a.key"
tls_case "a missing certificate file" "cannot read --tls-cert [^ ]*/nope.pem: No such file" --tls-cert "$tlsdir/nope.pem" --tls-key "$tlsdir/a.key"
tls_case "a missing key file" "cannot read --tls-key [^ ]*/nope.key: No such file" --tls-cert "$tlsdir/a.pem" --tls-key "$tlsdir/nope.key"
tls_case "a certificate that is not PEM" "--tls-cert [^ ]*/junk.pem is not a PEM certificate chain" --tls-cert "$tlsdir/junk.pem" --tls-key "$tlsdir/a.key"
tls_case "a key that is not PEM" "--tls-key [^ ]*/junk.pem is not a PEM private key" --tls-cert "$tlsdir/a.pem" --tls-key "$tlsdir/junk.pem"
tls_case "a key of another certificate" "--tls-key [^ ]*/b.key does not match the certificate of --tls-cert" --tls-cert "$tlsdir/a.pem" --tls-key "$tlsdir/b.key"
"$RC_NOTIFIER" --conformance --listen "127.0.0.1:$port" --tls-cert "$tlsdir/a.pem" --tls-key "$tlsdir/a.key" 2>"$tlsdir/log" &
pid=$!
got=
for _ in $(seq 50); do
	got=$(curl -s --cacert "$tlsdir/a.pem" "https://localhost:$port/healthz" 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if grep -q '"status":"ok"' <<<"$got" && grep -q "TLS: serving https/wss with CN=localhost" "$tlsdir/log"; then
	echo "ok - opts: a matching --tls-cert/--tls-key pair serves https (/healthz over TLS)"
else
	echo "not ok - opts: a good --tls-cert/--tls-key pair did not serve https: $got $(cat "$tlsdir/log")"
fi
if "$RC_NOTIFIER" --help | grep -A1 -- "--tls-" | grep -q "not implemented"; then
	echo "not ok - opts: --help still says TLS is not implemented"
else
	echo "ok - opts: --help lists --tls-cert/--tls-key as implemented"
fi
