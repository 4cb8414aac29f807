#!/usr/bin/env bash
# Runs every CouchReplication test suite and says which servers and suites ran:
#   xunit (engine and document logic) against pouchdb-server from tests/server, and against
#   Apache CouchDB too when it is installed at /opt/couchdb (or only against COUCH_TEST_URL);
#   xunit hosting the built module in PowerShell runspaces (Microsoft.PowerShell.SDK), on the same servers;
#   Pester (the cmdlets as users call them) in the pinned pwsh with the pinned Pester.
# Installs what it needs (npm ci for the test server; dotnet tool restore for pwsh, the PowerShell
# dotnet tool pinned in .config/dotnet-tools.json; Pester from NuGet into out/modules) and exits
# non-zero if any test fails. Needs nothing beyond the .NET SDK and Node.js.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
started=$SECONDS

echo "== Installing the test server (npm ci in tests/server)"
npm ci --prefix tests/server --no-audit --no-fund --loglevel=error

echo "== Installing pwsh and Pester from NuGet"
dotnet tool restore
dotnet msbuild tests/tools/PesterRestore.csproj -restore -t:RestorePester -nologo -v:q
pwsh_version=$(dotnet pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()')
pester_version=$(sed -n 's:.*<PesterVersion>\(.*\)</PesterVersion>.*:\1:p' tests/tools/PesterRestore.csproj)
sdk_version=$(sed -n 's:.*"Microsoft.PowerShell.SDK" Version="\([^"]*\)".*:\1:p' tests/CouchReplication.Host.Tests/CouchReplication.Host.Tests.csproj)
echo "  pwsh $pwsh_version: the PowerShell dotnet tool (.config/dotnet-tools.json), run as dotnet pwsh"
echo "  Pester $pester_version: out/modules/Pester/$pester_version (tests/tools/PesterRestore.csproj), first on PSModulePath"

echo "== Servers"
if [ -n "${COUCH_TEST_URL:-}" ]; then
  echo "  COUCH_TEST_URL: used for every suite (the pouchdb-server and CouchDB classes are skipped)"
else
  echo "  pouchdb-server 4.2.0 (tests/server): used, started per test class"
  if [ -x /opt/couchdb/bin/couchdb ]; then
    echo "  Apache CouchDB (/opt/couchdb): used, started per test class"
  else
    echo "  Apache CouchDB: SKIPPED, not installed at /opt/couchdb"
  fi
fi
echo "== Suites: xunit (tests/CouchReplication.Tests), SDK-hosted xunit (tests/CouchReplication.Host.Tests," \
  "Microsoft.PowerShell.SDK $sdk_version), Pester (tests/*.Tests.ps1, pwsh $pwsh_version, Pester $pester_version)"

echo "== Building (Release, warnings as errors)"
dotnet build CouchReplication.sln -c Release --nologo -v quiet

counts() { sed -n "s/.*$1: *\([0-9]*\).*/\1/p" "$2" | tail -1; }
# Runs one xunit project (Release, built above) and lists its skipped tests with their reasons;
# sets <name>_status, <name>_passed, <name>_failed and <name>_skipped.
xunit_suite() {
  local name=$1 project=$2 title=$3 status
  echo "== $title"
  set +e
  dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=normal" 2>&1 | tee "$log/$name.txt"
  status=${PIPESTATUS[0]}
  set -e
  declare -g "${name}_status=$status" "${name}_passed=$(counts Passed "$log/$name.txt")" \
    "${name}_failed=$(counts Failed "$log/$name.txt")" "${name}_skipped=$(counts Skipped "$log/$name.txt")"
  echo "== Skipped tests of $project, with reasons"
  # xunit prints "<Class>.<Test> [SKIP]" and the reason on the next line: one row per class and reason.
  awk '/\[SKIP\]$/ { getline reason; sub(/^\[xUnit[^]]*\] */, "", reason)
         name = $0; sub(/ \[SKIP\]$/, "", name); sub(/\.[^.]*$/, "", name); sub(/.*\./, "", name)
         print name ": " reason }' "$log/$name.txt" | sort | uniq -c | awk '{ n = $1; $1 = ""; print "  " n " tests of" $0 }'
}

xunit_suite xunit tests/CouchReplication.Tests "xunit suites"
xunit_suite host tests/CouchReplication.Host.Tests \
  "SDK-hosted suites (the built module in PowerShell runspaces, Microsoft.PowerShell.SDK $sdk_version)"

echo "== Pester suites (pwsh $pwsh_version, Pester $pester_version)"
set +e
dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 Pester 2>&1 | tee "$log/pester.txt"
pester_status=${PIPESTATUS[0]}
set -e
pester_passed=$(counts Passed "$log/pester.txt"); pester_failed=$(counts Failed "$log/pester.txt"); pester_skipped=$(counts Skipped "$log/pester.txt")

# CI keeps only the end of this output: name every failed test there, with the first lines of its
# message (xunit: "[FAIL]" and the lines after it; Pester: "[-]" and the lines after it).
failures() {
  sed 's/\x1b\[[0-9;]*m//g' "$log/xunit.txt" "$log/host.txt" "$log/pester.txt" 2>/dev/null |
    awk '/\[FAIL\]$|^ *\[-\] / { n = 4 } n > 0 { print "  " substr($0, 1, 300); n-- }'
}
if [ -n "$(failures)" ]; then
  echo "== Failed tests (each with the first lines of its message; the whole message is above)"
  failures
fi

echo "== Summary ($(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s)"
echo "  xunit:       ${xunit_passed:-0} passed, ${xunit_failed:-0} failed, ${xunit_skipped:-0} skipped"
echo "  SDK-hosted:  ${host_passed:-0} passed, ${host_failed:-0} failed, ${host_skipped:-0} skipped (Microsoft.PowerShell.SDK $sdk_version)"
echo "  Pester:      ${pester_passed:-0} passed, ${pester_failed:-0} failed, ${pester_skipped:-0} skipped (pwsh $pwsh_version, Pester $pester_version)"
passed=$(( ${xunit_passed:-0} + ${host_passed:-0} + ${pester_passed:-0} ))
failed=$(( ${xunit_failed:-0} + ${host_failed:-0} + ${pester_failed:-0} ))
skipped=$(( ${xunit_skipped:-0} + ${host_skipped:-0} + ${pester_skipped:-0} ))
if [ "$xunit_status" -ne 0 ] || [ "$host_status" -ne 0 ] || [ "$pester_status" -ne 0 ]; then failed=$(( failed > 0 ? failed : 1 )); fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
