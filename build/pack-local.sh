#!/usr/bin/env bash
# Packs the library packages (Transforms, Trainers, Onnx) into a local package folder that notebooks and
# other consumers use as a NuGet source:   #i "nuget: <repo>/artifacts/local-packages"
#   bash build/pack-local.sh [output folder]     (default: artifacts/local-packages; prints the version)
# The version is the one in Directory.Build.props. NuGet caches a package version forever, so a rebuilt
# 0.1.0 would never reach a consumer that restored 0.1.0 before: this script removes the global-cache copies
# of exactly these three packages at exactly this version (our own build output, nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/local-packages}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
version=$(dotnet msbuild src/Transforms/Microsoft.ML.MirrorGan.Transforms.csproj -getProperty:Version)
packages=(Transforms Trainers Onnx)

cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
for p in "${packages[@]}"; do
  id="microsoft.ml.mirrorgan.$(echo "$p" | tr '[:upper:]' '[:lower:]')"
  rm -rf "${cache:?}/$id/$version"
  rm -f "$out/Microsoft.ML.MirrorGan.$p.$version.nupkg"
done

for p in "${packages[@]}"; do
  dotnet pack "src/$p/Microsoft.ML.MirrorGan.$p.csproj" -c Release -o "$out" -nologo -v:q
done
ls "$out"/Microsoft.ML.MirrorGan.*."$version".nupkg >/dev/null
echo "pack-local: Microsoft.ML.MirrorGan.{Transforms,Trainers,Onnx} $version in $out"
