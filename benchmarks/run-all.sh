#!/usr/bin/env bash
# Runs the published scenarios against a fresh `chargeline serve` each; results in benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
CL=${CHARGELINE:-chargeline}
$CL bench --stations 1000 --ocpp 1.6 --duration 20 > results/v16-1000-sqlite.json
$CL bench --stations 1000 --ocpp 2.0.1 --duration 20 > results/v201-1000-sqlite.json
$CL bench --stations 1000 --database postgres --duration 20 > results/v16-1000-postgres.json
$CL bench --stations 10000 --rate 0.2 --duration 20 > results/v16-10000-storm.json
echo "results in $(pwd)/results"
