#!/usr/bin/env bash
# Install, prepare the embedding model and index, and serve the assistant on http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" ANONYMIZED_TELEMETRY=False
exec .venv/bin/python -m assistant serve "$@"
