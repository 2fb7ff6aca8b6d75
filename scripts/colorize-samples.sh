#!/usr/bin/env bash
# Set up, then colorize the bundled sample photos with the default model into ./colorized-samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/colorize-folder resources/samples -o colorized-samples "$@"
echo "Colour photos are in $(pwd)/colorized-samples/"
