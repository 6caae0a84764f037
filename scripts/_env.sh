# Shared by scripts/run and scripts/test: find Python >= 3.12 and prepare .venv with the given requirements file.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidates=(python3.13 python3.12 python3)
  if command -v pyenv >/dev/null 2>&1; then
    for v in 3.13 3.12; do
      local p; p="$(pyenv root)/versions/$(pyenv versions --bare 2>/dev/null | grep -E "^${v//./\\.}(\.|$)" | tail -n1)/bin/python3"
      [ -x "$p" ] && candidates=("$p" "${candidates[@]}")
    done
  fi
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  echo "OpsDesk needs Python 3.12 or newer (Django 6). Install it (e.g. pyenv install 3.12) and run again." >&2
  return 1
}

# python-ldap (directory sign-in) has no wheel on PyPI: it compiles against the OpenLDAP and SASL headers.
ensure_ldap_build_deps() {
  [ -f /usr/include/ldap.h ] && [ -f /usr/include/sasl/sasl.h ] && command -v gcc >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing libldap2-dev libsasl2-dev gcc (apt-get, to build python-ldap)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libldap2-dev libsasl2-dev gcc >/dev/null) \
      || { echo "Could not install libldap2-dev libsasl2-dev gcc; install them and run again." >&2; return 1; }
  else
    echo "python-ldap needs libldap2-dev libsasl2-dev gcc (as root: apt-get install libldap2-dev libsasl2-dev gcc)." >&2
    return 1
  fi
}

ensure_venv() {
  local req="$1"
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    rm -rf .venv
    "$(find_python)" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$req")"
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    echo "==> installing Python packages ($req)"
    ensure_ldap_build_deps
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r "$req"
    touch "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}
