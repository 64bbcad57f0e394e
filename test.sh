#!/usr/bin/env bash
# Runs every test of Nii.Socs: installs what the tests need, builds, tests, and prints one line
# "N passed, N failed[, N skipped]" computed from the TRX results. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Browser tests drive the distribution's Chromium; never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

scripts/install-deps.sh || { echo "test.sh: could not install the test dependencies" >&2; exit 1; }

results=TestResults
rm -rf "$results"
if ! dotnet build Nii.Socs.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  echo "test.sh: the build failed" >&2
  exit 1
fi
dotnet test Nii.Socs.sln -c Release --no-build --nologo \
  --blame-hang-timeout 10m --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]\+' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
if [ "$files" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  # The runner failed without reporting a failed test (a crashed test host): count it.
  failed=$((failed + 1))
fi
# The package consumer (samples/Embedding): packs Nii.Socs.Core, builds the sample from the package, runs it. One test.
if scripts/sample-embedding.sh; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "test.sh: samples/Embedding failed (scripts/sample-embedding.sh)" >&2
fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
