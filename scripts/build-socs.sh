#!/usr/bin/env bash
# Builds the socs command line the way ./socs runs it and prints the path of the socs.dll to run.
# On linux-x64 the Host is published ReadyToRun (its own code and its packages precompiled), so a
# short command does not spend its CPU in the JIT: an empty `socs capture scan` costs about half
# the CPU of the plain build (docs/capture.md, `-- capture --part commands`). Elsewhere: a plain build.
# The benchmark (`bench/Nii.Socs.Benchmarks -- capture`) times the socs.dll this prints.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
host="$here/src/Nii.Socs.Host"
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
  # SocsReadyToRun sets the runtime identifier on the Host alone (Nii.Socs.Host.csproj), so the
  # libraries keep their runtime-independent builds and lock files.
  dotnet publish "$host" -c Release -p:SocsReadyToRun=true -nologo -v quiet -clp:ErrorsOnly >&2
  echo "$host/bin/Release/net10.0/linux-x64/publish/socs.dll"
else
  dotnet build "$host" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
  echo "$host/bin/Release/net10.0/socs.dll"
fi
