#!/usr/bin/env bash
# Debian packages the test suite needs; installs only what is missing.
set -euo pipefail
packages=(
    attr        # getfattr/setfattr: cross-check file.ea.*
    btrfs-progs xfsprogs e2fsprogs   # fs:// and snapshot:// tests on loop images (btrfs qgroups, subvolume snapshots)
    quota       # fs:// quota-tools backend (setquota/repquota argv)
    zstd zip unzip p7zip-full xz-utils bzip2   # archive:// interoperability tests, 7z create, xz writing
    libarchive-tools  # bsdtar: the reference the archive interop tests compare resh with
    acl         # setfacl/getfacl: archive xattrs=true/acls=true round trips against GNU tar --acls
    util-linux  # mount, umount, losetup, nsenter, unshare, blkid
    patch       # file.write: generated diffs must apply with patch(1)
    man-db      # resh man: the generated pages must render with man(1)
    mount       # file.delete: tests mount a tmpfs to check the mount-point guard
    procps      # free, uptime: cross-check system.memory, system.uptime
    iproute2    # ip netns/link/addr: the network namespaces of the system.network tests
    iputils-ping # traffic for the system.network counter tests
    openssh-server  # ssh:// tests: sshd on loopback and in the netns fleet
    openssh-client  # ssh://'s transport (ssh, sftp, ssh-keygen)
    zstd        # ssh:// first contact: hosts with the zstd tool get the build zstd-compressed (SshFleetLimitsTests)
    systemd-container  # systemd-nspawn: svc:// and cron:// timers against a real systemd (PID 1 in a container)
    cron        # cron:// fire test: a real cron daemon in its own mount namespace
    openrc      # svc:// OpenRC backend in a sandbox (adds a few scripts to /etc/init.d; starts nothing)
    acl         # getfacl/setfacl: file.write and file.copy keep ACLs
    libcap2-bin # setcap/getcap: file.write keeps security.capability
    diffutils   # diff -u: resh's unified diffs must match it exactly
    time        # GNU time: peak memory of file.list and file.write on large inputs
    pass gnupg  # secret:// pass backend: a password store with a throwaway gpg key
    argon2      # secret://: the reference Argon2id the keystore's key derivation is checked against
    sudo        # ssh:// and local become (the tests add throwaway users with sudoers rules, removed after)
    openssl ssl-cert  # cert:// tests: openssl x509/verify/s_server/s_client cross-checks; ssl-cert ships the snakeoil certificate the issue reads
    passwd login openssl        # user://: shadow-utils, visudo and sudo -l (sudo above), openssl passwd for pre-made hashes
    nftables iptables ufw firewalld dbus   # firewall://: every backend, each tried in its own network namespace
    apt-utils dpkg-dev gnupg    # pkg://: apt-ftparchive, dpkg-deb and a throwaway signing key for the local test repository
    pebble      # cert:// acme.issue/acme.renew: Let's Encrypt's test ACME server and pebble-challtestsrv (its DNS), on loopback
    python3-aiosmtpd  # mail:// tests: SMTP with STARTTLS and AUTH (tests/setup/mail-smtp.py, run by Debian's /usr/bin/python3)
    dovecot-imapd     # mail:// tests: a private IMAP instance with its own config (tests/setup/mail.sh), never the system service
    curl        # http:// tests: --format raw must print the same bytes as curl -s (the server is Kestrel in the test project)
    strace      # file.copy: a recursive copy makes its files durable in batches (counts fsync/syncfs calls), no per-file fsync
    lintian binutils  # scripts/package-deb.sh: the .deb is checked by lintian; objdump -T measures the glibc it needs
    bind9 bind9-utils bind9-dnsutils dnsmasq-base   # dns:// tests: named (delegated hierarchy, TSIG updates, AXFR) and dnsmasq (the resolver path) in a netns; dig and nsupdate cross-check
    netcat-openbsd traceroute iputils-ping   # net:// tests: listeners in namespaces (nc -l), nc -z and traceroute -I to compare with, bench/net.sh
    etcd-server etcd-client  # lock:// etcd backend tests: a private etcd 3.4 with auth on loopback (tests/setup/etcd.sh)
    redis-server memcached   # cache:// tests: Redis 7 (requirepass, TLS with a test CA) and memcached on loopback (tests/setup/cache.sh), never the system services
    nats-server  # mq:// NATS JetStream tests: nats-server 2.9 with -js on loopback (tests/setup/nats.sh), never a system service
    restic borgbackup  # backup:// tests: real restic 0.14 and borg 1.2 repositories, local and over the loopback sshd (tests/setup/backup-sshd.sh)
    python3     # plugin:// tests: the sample plugins in Python, and the bash scaffold reads its JSON request with python3 (no jq)
    python3-jinja2  # bench/template.sh and template:// tests: Jinja2 renders the same template (the reference output and the time to beat)
    python3-yaml    # template:// tests: PyYAML (what Ansible reads vars files with) types the YAML 1.1 scalars resh must match
    slapd ldap-utils  # resh serve LDAP logins: a private slapd on loopback (own slapd.conf and mdb in a temp dir, ServeLdapTests), never the system service; ldapadd loads its users and groups
    mosquitto mosquitto-clients  # mq:// MQTT tests: a private mosquitto 2 (own config, password file, persistence) on loopback (tests/setup/mosquitto.sh), never the system service; mosquitto_pub/sub cross-check
)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# resh mcp tests: the official MCP TypeScript SDK and inspector CLI run as clients (installed below from npm). Debian's
# nodejs and npm only when node or npm is missing: a machine with NodeSource's nodejs (which bundles npm) keeps it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if ((${#missing[@]})); then
    echo "test deps: installing ${missing[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# resh mcp: clients no one here wrote, from npm, into the repository's .build/ (not global): the official MCP
# TypeScript SDK (tests/Resh.Cli.Tests/Mcp/mcp-client.cjs), Ajv to validate envelopes against each tool's
# outputSchema, and the MCP inspector CLI. The Python SDK (mcp on PyPI) is not used: PyPI is not reachable here.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mcp_dir="$root/.build/mcp-client"
if [[ ! -f "$mcp_dir/node_modules/@modelcontextprotocol/sdk/package.json" || ! -f "$mcp_dir/node_modules/@modelcontextprotocol/inspector-cli/package.json" ]]; then
    echo "test deps: installing the MCP SDK and inspector CLI into .build/mcp-client" >&2
    mkdir -p "$mcp_dir"
    [[ -f "$mcp_dir/package.json" ]] || printf '{"name":"resh-mcp-test-clients","private":true}\n' > "$mcp_dir/package.json"
    npm install --prefix "$mcp_dir" --no-audit --no-fund --loglevel=error \
        @modelcontextprotocol/sdk@1.32.2 ajv@8.20.0 @modelcontextprotocol/inspector-cli@1.0.3 >&2
fi
# The MCP conformance suite, run against `resh serve --mcp` (tests/Resh.Cli.Tests/Mcp/McpConformanceTests.cs); it wants
# Node 22's fs.globSync, which Mcp/conformance/preload.mjs supplies on Node 20 from the glob package installed beside it.
conf_dir="$root/.build/mcp-conformance"
if [[ ! -f "$conf_dir/node_modules/@modelcontextprotocol/conformance/package.json" || ! -f "$conf_dir/node_modules/glob/package.json" ]]; then
    echo "test deps: installing the MCP conformance suite into .build/mcp-conformance" >&2
    mkdir -p "$conf_dir"
    [[ -f "$conf_dir/package.json" ]] || printf '{"name":"resh-mcp-conformance","private":true}\n' > "$conf_dir/package.json"
    npm install --prefix "$conf_dir" --no-audit --no-fund --loglevel=error @modelcontextprotocol/conformance@0.1.16 glob@11.1.0 >&2
fi
