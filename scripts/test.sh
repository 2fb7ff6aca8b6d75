#!/usr/bin/env bash
# Set up, then run the test suite (slow tests are left out; add -m slow to run only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest "$@"
