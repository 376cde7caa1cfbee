#!/usr/bin/env bash
# Installs everything BackupBuddy needs to build, test, demo and benchmark on Debian 12:
# compilers and libraries (Debian packages only), PostgreSQL 15, zstd, age, awscli,
# python3-botocore, python3-aiosmtpd and promtool (Debian prometheus) for the alert tests, Node.js + npm, GNU time, and the npm test servers in tests/tools.
# Safe to run again: when everything is already there it only checks and returns.
# Needs root or sudo for apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '==> %s\n' "$*"; }

PACKAGES=(
  g++ cmake make pkg-config ca-certificates
  libcurl4-openssl-dev libpugixml-dev nlohmann-json3-dev libtomlplusplus-dev libpq-dev
  libzstd-dev libssl-dev libcli11-dev libgtest-dev libhowardhinnant-date-dev
  postgresql-15 postgresql-client-15 zstd age awscli python3 python3-botocore time
  python3-aiosmtpd prometheus
  libcpp-httplib-dev chromium chromium-driver python3-selenium
  clang libclang-rt-14-dev
)

# Node.js: keep an existing node >= 18 (with its npm); otherwise Debian's nodejs + npm.
node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "${major:-0}" -ge 18 ]
}
if node_ok; then
  say "Node.js $(node --version) with npm $(npm --version) is already here; keeping it."
else
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "All Debian packages are already installed."
else
  say "Installing Debian packages: ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to run apt-get" >&2; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
fi

# Sanity: the tools the tests rely on, at their Debian paths.
for tool in /usr/lib/postgresql/15/bin/initdb /usr/lib/postgresql/15/bin/pg_dump \
            /usr/bin/zstd /usr/bin/age /usr/bin/aws /usr/bin/python3 /usr/bin/time; do
  [ -x "$tool" ] || { echo "error: $tool is missing after installation" >&2; exit 1; }
done
/usr/bin/python3 -c 'import botocore' || { echo "error: python3-botocore not importable by /usr/bin/python3" >&2; exit 1; }
/usr/bin/python3 -c 'import aiosmtpd' || { echo "error: python3-aiosmtpd not importable by /usr/bin/python3" >&2; exit 1; }
[ -x /usr/bin/promtool ] || { echo "error: /usr/bin/promtool (Debian prometheus) is missing" >&2; exit 1; }
node_ok || { echo "error: Node.js >= 18 with npm is required" >&2; exit 1; }

# npm test servers (s3rver, telegram-test-api), pinned by tests/tools/package-lock.json.
TOOLS="$ROOT/tests/tools"
if [ -f "$TOOLS/package.json" ]; then
  stamp="$TOOLS/node_modules/.package-lock.json"
  lock="$TOOLS/package-lock.json"
  if [ -f "$stamp" ] && [ -f "$lock" ] && [ "$stamp" -nt "$lock" ] && [ "$stamp" -nt "$TOOLS/package.json" ] \
     && [ -d "$TOOLS/node_modules/s3rver" ]; then
    say "npm test servers are already installed in tests/tools/node_modules."
  elif [ -f "$lock" ]; then
    say "Installing the npm test servers (npm ci in tests/tools)."
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
  else
    say "Installing the npm test servers (npm install in tests/tools; no lock file yet)."
    (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error)
  fi
fi

say "Dependencies are ready."
