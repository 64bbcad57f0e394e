#!/usr/bin/env bash
# Packs Nii.Socs.Core into a local feed, builds samples/Embedding against the package (not the project), runs it and
# compares what it prints with samples/Embedding/expected.txt. Exit 0 when they match.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
feed=artifacts/local-feed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$feed" samples/Embedding/bin samples/Embedding/obj
version=$(dotnet msbuild src/Nii.Socs.Core/Nii.Socs.Core.csproj -getProperty:Version -nologo)
dotnet pack src/Nii.Socs.Core/Nii.Socs.Core.csproj -c Release -o "$feed" -nologo -clp:ErrorsOnly -v:q
dotnet restore samples/Embedding/Embedding.csproj --packages "$work/packages" -p:NiiSocsVersion="$version" -nologo -v:q
dotnet build samples/Embedding/Embedding.csproj -c Release --no-restore -nologo -clp:ErrorsOnly -v:q -p:NiiSocsVersion="$version"
dotnet samples/Embedding/bin/Release/net10.0/Embedding.dll > "$work/output.txt"
if diff -u samples/Embedding/expected.txt "$work/output.txt"; then
  echo "sample-embedding: Nii.Socs.Core $version from the local feed: output as expected"
else
  echo "sample-embedding: the output differs from samples/Embedding/expected.txt" >&2
  exit 1
fi
