#!/usr/bin/env bash
# Installs the distribution packages Nii.Socs needs, only those that are missing.
# Used by ./socs and ./test.sh, so a fresh machine needs nothing installed by hand.
set -euo pipefail

# libpcap0.8: live capture (SharpPcap); tshark, tcpdump: cross-checks and the capture benchmark;
# openssl: the participant-side unwrap interop test; chromium: the portal's browser tests;
# fonts-ipafont-gothic: Japanese glyphs in the browser tests' screenshots (the portal is Japanese first);
# postgresql-15, patroni, etcd-server, etcd-client, python3-etcd: the 3-node cluster the PostgreSQL store's tests
# start with scripts/cluster.sh; systemd: systemd-analyze verifies the shipped unit (SystemdTests).
packages=(libpcap0.8 tshark tcpdump openssl)
if [ "${SOCS_DEPS:-test}" = "test" ]; then packages+=(chromium fonts-ipafont-gothic postgresql-15 patroni etcd-server etcd-client python3-etcd systemd); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
