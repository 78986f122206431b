#!/bin/bash
# tests/integration/servers/make_test_certs.sh [-f] DIR: test certificates
# for the TLS integration tests, made with the openssl CLI (OpenSSL 3.0+).
#
#   testca.key testca.pem        the test root CA (EC P-256, CA:TRUE, 10 days);
#                                the CA that wicket is told to trust
#   good.key good.pem            leaf signed by the test CA, SAN DNS:origin.test,
#                                DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth
#   expired.key expired.pem      the same, but valid from 3 days ago to 1 day
#                                ago (signed with `openssl ca -startdate
#                                -enddate`: `x509 -req` has no dates in 3.0)
#   wronghost.key wronghost.pem  signed by the test CA, SAN DNS:other.example
#                                only
#   unknownca.key unknownca.pem  a second root CA, never given to wicket
#   unknown.key unknown.pem      leaf with the SANs of good.pem, signed by
#                                unknownca (verify: "unable to get local
#                                issuer certificate")
#   good-chain.pem               good.pem followed by testca.pem
#
# Keys are mode 0600. Idempotent: when DIR already holds a complete set
# whose CA and good leaf are valid for at least another day, nothing is
# done (-f remakes). A new set is made in a temporary folder and moved in.
set -eu
umask 077
export LC_ALL=C

force=
if [ "${1:-}" = -f ]; then
	force=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [-f] DIR" >&2; exit 2; }
dir=$1
names="testca good expired wronghost unknownca unknown"

complete() {
	local n
	for n in $names; do
		[ -s "$dir/$n.key" ] && [ -s "$dir/$n.pem" ] || return 1
	done
	[ -s "$dir/good-chain.pem" ] || return 1
	openssl x509 -noout -checkend 86400 -in "$dir/testca.pem" >/dev/null &&
	    openssl x509 -noout -checkend 86400 -in "$dir/good.pem" >/dev/null
}

mkdir -p "$dir"
if [ -z "$force" ] && complete 2>/dev/null; then
	exit 0
fi

w=$(mktemp -d "$dir/.make.XXXXXX")
trap 'rm -rf "$w"' EXIT

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$w/$1.key" 2>/dev/null
}

# The extensions of every certificate; each section is picked by name.
cat >"$w/ext.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ leaf_good ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:origin.test, DNS:localhost, IP:127.0.0.1, IP:::1
[ leaf_wronghost ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:other.example
EOF

# ca NAME CN: a self-signed root CA valid for 10 days.
ca() {
	key "$1"
	openssl req -new -x509 -key "$w/$1.key" -out "$w/$1.pem" -days 10 \
	    -subj "/O=wicket tests/CN=$2" -sha256 \
	    -config "$w/ext.cnf" -extensions v3_ca
}

# leaf NAME CN SECTION CA: a leaf signed by CA (valid from now, 10 days).
leaf() {
	key "$1"
	openssl req -new -key "$w/$1.key" -subj "/O=wicket tests/CN=$2" \
	    -config "$w/ext.cnf" -out "$w/$1.csr"
	openssl x509 -req -in "$w/$1.csr" -CA "$w/$4.pem" -CAkey "$w/$4.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -days 10 -sha256 \
	    -extfile "$w/ext.cnf" -extensions "$3" -out "$w/$1.pem" 2>/dev/null
}

ca testca "wicket test CA"
ca unknownca "wicket unknown test CA"
leaf good origin.test leaf_good testca
leaf wronghost other.example leaf_wronghost testca
leaf unknown origin.test leaf_good unknownca

# expired: `openssl ca` is the one 3.0 command that takes explicit dates.
key expired
openssl req -new -key "$w/expired.key" -subj "/O=wicket tests/CN=origin.test" \
    -config "$w/ext.cnf" -out "$w/expired.csr"
mkdir "$w/db"
: >"$w/db/index.txt"
cat >"$w/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $w/db/index.txt
new_certs_dir = $w/db
serial = $w/db/serial
certificate = $w/testca.pem
private_key = $w/testca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
organizationName = optional
commonName = supplied
EOF
openssl rand -hex 8 >"$w/db/serial"
sed -n '/^\[ leaf_good \]/,/^subjectAltName/p' "$w/ext.cnf" |
    sed 's/^\[ leaf_good \]/[ leaf_expired ]/' >"$w/expired.ext"
openssl ca -batch -notext -config "$w/ca.cnf" -in "$w/expired.csr" \
    -out "$w/expired.pem" \
    -startdate "$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ)" \
    -enddate "$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)" \
    -extfile "$w/expired.ext" -extensions leaf_expired 2>/dev/null

cat "$w/good.pem" "$w/testca.pem" >"$w/good-chain.pem"
chmod 600 "$w"/*.key
chmod 644 "$w"/*.pem
for n in $names; do
	mv -f "$w/$n.key" "$dir/$n.key"
	mv -f "$w/$n.pem" "$dir/$n.pem"
done
mv -f "$w/good-chain.pem" "$dir/good-chain.pem"
