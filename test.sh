#!/usr/bin/env bash
# Installs what the tests need, builds the native binary, and runs every test against it.
# A missing backend is a failure here, never a silent skip.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
start=$(date +%s)

scripts/install-test-deps.sh
scripts/build-native.sh
export RESH_BIN="$root/.build/resh/resh"
"$RESH_BIN" version --format raw >/dev/null || { echo "test.sh: the native binary does not run" >&2; exit 1; }

dotnet build resh.slnx -c Release -nologo -clp:ErrorsOnly -v:quiet
status=0
dotnet test resh.slnx -c Release --no-build -nologo --logger "console;verbosity=minimal" || status=$?

echo "test.sh: finished in $(( $(date +%s) - start ))s with status $status" >&2
exit $status
