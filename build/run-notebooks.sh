#!/usr/bin/env bash
# Executes every notebook in samples/notebooks headless, in name order, the way CI does (README "Notebooks"):
#   bash build/run-notebooks.sh [notebook.ipynb ...]
# 1. Debian's jupyter-nbconvert, python3-nbclient and jupyter-client (installed when missing and running as root);
# 2. the .NET Interactive kernel (dotnet tool, pinned in .config/dotnet-tools.json) and a kernel spec of our own
#    in a repo-local JUPYTER_PATH that listens on 127.0.0.1 only (the stock spec listens on all interfaces);
# 3. the library packed into artifacts/local-packages (build/pack-local.sh), which the notebooks reference;
# 4. jupyter nbconvert --execute per notebook: a cell that throws fails the notebook and this script (exit 1).
# Executed copies go to artifacts/notebooks/ (gitignored; committed notebooks keep no outputs), and what the
# notebooks write (model.zip, sample grids, metrics.json, charts) to artifacts/notebooks/output/.
# Last line: "notebooks: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

apt_needed=()
for pkg in jupyter-nbconvert python3-nbclient jupyter-client; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_needed+=("$pkg")
done
if [ ${#apt_needed[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_needed[@]}"
  else
    echo "run-notebooks: missing system packages: ${apt_needed[*]} (run: sudo apt-get install ${apt_needed[*]})" >&2
    exit 1
  fi
fi

dotnet tool restore >/dev/null
export JUPYTER_PATH="$root/artifacts/jupyter"
mkdir -p "$JUPYTER_PATH/kernels/.net-csharp"
# "dotnet interactive" resolves through the tool manifest because the kernel starts in the notebook's folder.
cat > "$JUPYTER_PATH/kernels/.net-csharp/kernel.json" <<'JSON'
{"argv": ["dotnet", "interactive", "jupyter", "--default-kernel", "csharp", "{connection_file}", "--http-local-only"],
 "display_name": ".NET (C#)", "language": "C#"}
JSON

bash build/pack-local.sh

out="$root/artifacts/notebooks"
export MIRRORGAN_NOTEBOOK_OUTPUT="$out/output"
rm -rf "$out"
mkdir -p "$MIRRORGAN_NOTEBOOK_OUTPUT"
if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=(samples/notebooks/*.ipynb); fi
passed=0; failed=0
for nb in "${notebooks[@]}"; do
  start=$(date +%s)
  echo "run-notebooks: $nb (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  if /usr/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=.net-csharp \
       --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.startup_timeout=300 \
       --output-dir "$out" "$nb" 2>"$out/$(basename "$nb" .ipynb).log"; then
    passed=$((passed + 1)); verdict=passed
  else
    failed=$((failed + 1)); verdict=FAILED
    # The cell and its exception, from nbconvert's report.
    grep -v -E '^(info|warn): Microsoft.Hosting|^      ' "$out/$(basename "$nb" .ipynb).log" | tail -40 >&2
  fi
  echo "run-notebooks: $nb $verdict in $(( $(date +%s) - start )) s (load average: $(cut -d' ' -f1-3 /proc/loadavg)); executed copy: $out/$(basename "$nb")"
done
echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
