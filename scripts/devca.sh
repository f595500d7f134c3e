#!/bin/sh
# devca.sh DIR DOMAIN -- a local development CA and a certificate for
# DOMAIN and *.DOMAIN, for serving Drawbridge over HTTPS on a laptop.
#
#   DIR/ca.crt  DIR/ca.key                  the CA (kept if it exists, so
#                                           a browser that trusts it keeps
#                                           trusting it)
#   DIR/DOMAIN.crt  DIR/DOMAIN.key          the server certificate (made
#                                           fresh every run, 365 days)
#
# Key files are mode 600 (drawbridge refuses group/world-readable keys).
# Names like *.sandbox.localhost resolve to loopback in curl and browsers,
# so https://<id>.sandbox.localhost:8443/ works with no /etc/hosts edits.
# Needs the openssl command.  Development only: never trust this CA on a
# machine you do not own.
set -eu

usage() {
	echo "usage: $0 DIR DOMAIN    (e.g. $0 ./tls sandbox.localhost)" >&2
	exit 2
}

[ $# -eq 2 ] || usage
dir=$1
domain=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
domain=${domain%.}
case $domain in
"" | *[!a-z0-9.-]* | .* | *..* | -*)
	echo "$0: bad domain \"$2\"" >&2
	exit 2
	;;
esac
command -v openssl >/dev/null 2>&1 || {
	echo "$0: the openssl command is needed" >&2
	exit 1
}

umask 077
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/devca.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

serial() {
	# 127 random bits: positive, unique enough for a development CA.
	printf '0x%s' "$(openssl rand -hex 16 | sed 's/^./7/')"
}

if [ ! -s "$dir/ca.key" ] || [ ! -s "$dir/ca.crt" ]; then
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dir/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 \
	    -set_serial "$(serial)" \
	    -subj "/O=Drawbridge development/CN=Drawbridge dev CA $(hostname 2>/dev/null || echo local) $(date -u +%Y%m%d%H%M%S)" \
	    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=hash" \
	    -out "$dir/ca.crt"
	echo "devca: new CA $dir/ca.crt"
else
	echo "devca: reusing CA $dir/ca.crt"
fi
chmod 600 "$dir/ca.key"
chmod 644 "$dir/ca.crt"

cat >"$tmp/ext.cnf" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$domain,DNS:*.$domain
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$tmp/leaf.key" 2>/dev/null
openssl req -new -key "$tmp/leaf.key" -subj "/CN=$domain" -out "$tmp/leaf.csr"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "$(serial)" -days 365 -sha256 -extfile "$tmp/ext.cnf" \
    -out "$tmp/leaf.crt" 2>/dev/null
openssl verify -CAfile "$dir/ca.crt" "$tmp/leaf.crt" >/dev/null
mv -f "$tmp/leaf.key" "$dir/$domain.key"
mv -f "$tmp/leaf.crt" "$dir/$domain.crt"
chmod 600 "$dir/$domain.key"
chmod 644 "$dir/$domain.crt"

spki=$(openssl x509 -in "$dir/$domain.crt" -noout -pubkey |
    openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary |
    openssl base64 -A)

cat <<EOF
devca: $dir/$domain.crt and $dir/$domain.key for $domain, *.$domain
       (expires $(openssl x509 -in "$dir/$domain.crt" -noout -enddate | cut -d= -f2))

Drawbridge config:
  listen 127.0.0.1:8443 tls
  tls-cert $dir/$domain.crt $dir/$domain.key

Trust the CA (development machines only):
  curl      curl --cacert $dir/ca.crt https://<id>.$domain:8443/
  Chromium  chromium --ignore-certificate-errors-spki-list=$spki
            (with --user-data-dir=DIR; trusts this one key for that run)
  NSS db    certutil -d sql:\$HOME/.pki/nssdb -A -t C,, \\
                -n 'Drawbridge dev CA' -i $dir/ca.crt
            (Chromium and Firefox on Linux; remove with certutil -D -n ...)
  Python    SSL_CERT_FILE=$dir/ca.crt, or requests' verify=$dir/ca.crt
EOF
