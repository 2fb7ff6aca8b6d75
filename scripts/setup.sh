#!/usr/bin/env bash
# Create .venv and install the project with its test tools. Safe to run again: it reinstalls only when
# pyproject.toml has changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch==2.14.1 / torchvision==0.29.1 (pinned in pyproject.toml) install from the local wheel cache here.
  .venv/bin/python -m pip install --quiet -e ".[test,pretrained]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
