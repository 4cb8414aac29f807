#!/usr/bin/env bash
# Runs every CouchReplication test suite and says which servers and suites ran:
#   xunit (engine and document logic) against pouchdb-server from tests/server, and against
#   Apache CouchDB too when it is installed at /opt/couchdb (or only against COUCH_TEST_URL);
#   Pester (the cmdlets as users call them) when pwsh with Pester 5 is on PATH.
# Installs what it needs (npm ci for the test server) and exits non-zero if any test fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== Installing the test server (npm ci in tests/server)"
npm ci --prefix tests/server --no-audit --no-fund --loglevel=error

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

echo "== Building (Release, warnings as errors)"
dotnet build CouchReplication.sln -c Release --nologo -v quiet

echo "== xunit suites"
set +e
dotnet test tests/CouchReplication.Tests -c Release --no-build --nologo \
  --logger "console;verbosity=normal" 2>&1 | tee "$log/xunit.txt"
xunit_status=${PIPESTATUS[0]}
set -e
counts() { sed -n "s/.*$1: *\([0-9]*\).*/\1/p" "$2" | tail -1; }
xunit_passed=$(counts Passed "$log/xunit.txt"); xunit_failed=$(counts Failed "$log/xunit.txt"); xunit_skipped=$(counts Skipped "$log/xunit.txt")
echo "== Skipped xunit tests, with reasons"
# xunit prints "<Class>.<Test> [SKIP]" and the reason on the next line: one row per class and reason.
awk '/\[SKIP\]$/ { getline reason; sub(/^\[xUnit[^]]*\] */, "", reason)
       name = $0; sub(/ \[SKIP\]$/, "", name); sub(/\.[^.]*$/, "", name); sub(/.*\./, "", name)
       print name ": " reason }' "$log/xunit.txt" | sort | uniq -c | awk '{ n = $1; $1 = ""; print "  " n " tests of" $0 }'

pester_passed=0; pester_failed=0; pester_skipped=0; pester_status=0
echo "== Pester suites"
if command -v pwsh >/dev/null 2>&1 && pwsh -NoProfile -NonInteractive -Command 'if (-not (Get-Module -ListAvailable Pester | Where-Object { $_.Version.Major -ge 5 })) { exit 1 }'; then
  set +e
  pwsh -NoProfile -NonInteractive -Command '
    $c = New-PesterConfiguration
    $c.Run.Path = "./tests"; $c.Run.PassThru = $true; $c.Output.Verbosity = "Detailed"
    $r = Invoke-Pester -Configuration $c
    "PESTER: Passed: {0}, Failed: {1}, Skipped: {2}" -f $r.PassedCount, $r.FailedCount, ($r.SkippedCount + $r.NotRunCount)
    if ($r.FailedCount -gt 0 -or $r.Result -ne "Passed") { exit 1 }' 2>&1 | tee "$log/pester.txt"
  pester_status=${PIPESTATUS[0]}
  set -e
  pester_passed=$(counts Passed "$log/pester.txt"); pester_failed=$(counts Failed "$log/pester.txt"); pester_skipped=$(counts Skipped "$log/pester.txt")
else
  echo "  SKIPPED: pwsh with Pester 5 is not on PATH"
fi

echo "== Summary"
echo "  xunit:  ${xunit_passed:-0} passed, ${xunit_failed:-0} failed, ${xunit_skipped:-0} skipped"
echo "  Pester: ${pester_passed:-0} passed, ${pester_failed:-0} failed, ${pester_skipped:-0} skipped"
passed=$(( ${xunit_passed:-0} + ${pester_passed:-0} ))
failed=$(( ${xunit_failed:-0} + ${pester_failed:-0} ))
skipped=$(( ${xunit_skipped:-0} + ${pester_skipped:-0} ))
if [ "$xunit_status" -ne 0 ] || [ "$pester_status" -ne 0 ]; then failed=$(( failed > 0 ? failed : 1 )); fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
