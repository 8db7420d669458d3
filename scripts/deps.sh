#!/usr/bin/env bash
# Installs the Debian 12 packages Nudge builds and tests with (idempotent).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config
      libboost-dev libboost-date-time-dev libboost-graph-dev
      libfmt-dev libhowardhinnant-date-dev tzdata
      libsqlite3-dev libsqlitecpp-dev sqlite3
      doctest-dev nlohmann-json3-dev libcli11-dev
      python3 python3-dev python3-pybind11 pybind11-dev python3-pytest python3-numpy
      chromium fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
