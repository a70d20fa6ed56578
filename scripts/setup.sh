#!/usr/bin/env bash
# Install everything into .venv (idempotent: skipped when pyproject.toml is unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ -f "$stamp" ]; then
  exit 0
fi
echo "==> Creating virtual environment in $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# The CPU build of torch first: an open range would pull a multi-GB CUDA build.
echo "==> Installing torch 2.13.0 (CPU)"
"$VENV/bin/python" -m pip install --quiet "torch==2.13.0"
echo "==> Installing the assistant and its dependencies"
"$VENV/bin/python" -m pip install --quiet -e ".[dev]"
rm -f "$VENV"/.installed-*
touch "$stamp"
