#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Quartier needs, and only those that are missing:
# PostgreSQL 15 with PostGIS 3 (skipped when DATABASE_URL names an existing server),
# GDAL/GEOS/PROJ for GeoDjango, Python's venv module, Node.js and npm for the demo map's packages,
# and with --browser, Chromium for the browser tests.
set -euo pipefail

packages=(libgdal32 gdal-bin libgeos-c1v5 libproj25 python3-venv)
if [ -z "${DATABASE_URL:-}" ]; then
    packages+=(postgresql-15 postgresql-client-15 postgresql-15-postgis-3)
fi

command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${1:-}" = "--browser" ]; then
    packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Python installed outside Debian (pyenv, python.org) brings its own venv module.
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -c "import venv, ensurepip" 2>/dev/null; then
    missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
