# Starts and stops a throwaway pouchdb-server or Apache CouchDB for the Pester suites through
# tests/server/throwaway.js (the launcher the xunit suites and the benchmark use too), or uses the
# server COUCH_TEST_URL names. Every request sends Accept: application/json and has a timeout.

# The server under test: the one COUCH_TEST_URL names, or a throwaway pouchdb-server.
function Start-TestCouchServer {
    if ($env:COUCH_TEST_URL) {
        return [pscustomobject]@{ Url = $env:COUCH_TEST_URL.TrimEnd('/') + '/'; Launcher = $null }
    }
    Start-ThrowawayServer 'pouchdb-server'
}

# A throwaway Apache CouchDB from /opt/couchdb, configured as the xunit suites' (tests/couchdb-test-node.ini).
function Start-TestCouchDb { Start-ThrowawayServer 'couchdb' }

# A throwaway cluster of three such nodes; Url is the first node's, Nodes has each node's url and name.
function Start-TestCouchDbCluster { Start-ThrowawayServer 'couchdb' -Nodes 3 }

# Runs the launcher with a pipe on its stdin, which Stop-TestCouchServer closes to stop the server.
function Start-ThrowawayServer([string] $Kind, [int] $Nodes = 1) {
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    foreach ($argument in (Join-Path $PSScriptRoot '../server/throwaway.js'), $Kind, '--nodes', $Nodes) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $launcher = [Diagnostics.Process]::Start($start)
    $started = $launcher.StandardOutput.ReadLine()
    if (-not $started) {
        $launcher.WaitForExit()
        throw "$Kind did not start: tests/server/throwaway.js exited with $($launcher.ExitCode) (its reason is on stderr)"
    }
    $answer = $started | ConvertFrom-Json
    [pscustomobject]@{ Url = $answer.url; Nodes = $answer.nodes; Launcher = $launcher }
}

# tests/server/iam-token.js: a token endpoint playing IBM Cloud IAM whose tokens the throwaway
# CouchDB verifies; $Keys maps API keys to users. Stop it with Stop-TestCouchServer.
function Start-TestIamTokenServer([int] $LifetimeSeconds, [hashtable] $Keys) {
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $arguments = @((Join-Path $PSScriptRoot '../server/iam-token.js'), '--secret', 'couchreplication-test-jwt-secret', '--lifetime', $LifetimeSeconds)
    foreach ($key in $Keys.Keys) { $arguments += '--key', "$key=$($Keys[$key])" }
    foreach ($argument in $arguments) { $start.ArgumentList.Add("$argument") }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $launcher = [Diagnostics.Process]::Start($start)
    [pscustomobject]@{ Url = ($launcher.StandardOutput.ReadLine() | ConvertFrom-Json).url; Launcher = $launcher }
}

function Stop-TestCouchServer($Server) {
    if (-not $Server.Launcher) { return }
    $Server.Launcher.StandardInput.Close()
    if (-not $Server.Launcher.WaitForExit(30000)) { $Server.Launcher.Kill($true) }
    $Server.Launcher.Dispose()
}

# Polls $Condition until it gives a true value; fails after $Timeout seconds with a message that
# says what never happened ($Because). -PassThru returns the value.
function Wait-Until {
    param([Parameter(Mandatory, Position = 0)] [scriptblock] $Condition, [Parameter(Mandatory)] [double] $Timeout,
        [Parameter(Mandatory)] [string] $Because, [int] $IntervalMilliseconds = 50, [switch] $PassThru)
    $deadline = [DateTime]::UtcNow.AddSeconds($Timeout)
    while (-not ($value = & $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Timeout s waiting for $Because" }
        Start-Sleep -Milliseconds $IntervalMilliseconds
    }
    if ($PassThru) { $value }
}

# Waits until a replication of this session (a CouchReplicationTask) runs, and fails the test if it never does.
function Wait-Running($Task) {
    Wait-Until { $Task.State -eq 'Running' } -Timeout 30 -Because 'the task running'
    $Task.State | Should -Be 'Running'
}

function Invoke-TestCouch {
    param([string] $Url, [string] $Path, [string] $Method = 'GET', $Body)
    $uri = [Uri]::new([Uri]$Url, $Path)
    $plain = [UriBuilder]::new($uri); $plain.UserName = ''; $plain.Password = ''
    $user, $password = [Uri]::UnescapeDataString($uri.UserInfo).Split(':', 2)
    $credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
    $arguments = @{ Uri = $plain.Uri; Method = $Method; Credential = $credential; Authentication = 'Basic'; AllowUnencryptedAuthentication = $true
        Headers = @{ Accept = 'application/json' }; TimeoutSec = 30; ContentType = 'application/json' }
    if ($null -ne $Body) { $arguments.Body = ($Body | ConvertTo-Json -Depth 10 -Compress) }
    Invoke-RestMethod @arguments
}

function Get-TestCouchStatus {
    param([string] $Url, [string] $Path)
    try { Invoke-TestCouch -Url $Url -Path $Path | Out-Null; 200 }
    catch { [int]$_.Exception.Response.StatusCode }
}

function New-TestDbName([string] $Prefix = 'db') { "$Prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 12) }

# A new database on the server at $Url with $Count documents doc-0, doc-1 ...; returns its name.
function New-TestSeededDb([string] $Url, [int] $Count = 10) {
    $db = New-TestDbName 'source'
    Invoke-TestCouch -Url $Url -Path $db -Method PUT | Out-Null
    $docs = @(0..($Count - 1) | ForEach-Object { @{ _id = "doc-$_"; n = $_ } })
    Invoke-TestCouch -Url $Url -Path "$db/_bulk_docs" -Method POST -Body @{ docs = $docs } | Out-Null
    $db
}

# JSON with every object's properties in name order, so two servers' answers compare as text.
function ConvertTo-CanonicalJson($Value) {
    if ($Value -is [System.Collections.IList]) { return '[' + (@($Value | ForEach-Object { ConvertTo-CanonicalJson $_ }) -join ',') + ']' }
    if ($Value -is [pscustomobject]) {
        return '{' + (@($Value.PSObject.Properties | Sort-Object Name -CaseSensitive | ForEach-Object {
            (ConvertTo-Json $_.Name -Compress) + ':' + (ConvertTo-CanonicalJson $_.Value) }) -join ',') + '}'
    }
    ConvertTo-Json $Value -Compress
}

# The invariant every replication ends with, as the xunit suites' NothingLost checks it: each leaf
# revision of each source document in scope (history, deletion, conflicts, attachment digests) is
# on the target, or the document is among the replication's reported failures. Read in bulk
# (_changes, then _bulk_get on both sides); revpos is left out (pouchdb-server rewrites it).
function Assert-NothingLost {
    param([string] $Url, [string] $Source, [string] $Target, $Failures = @(), [string[]] $Ids)
    $excused = @($Failures | ForEach-Object { $_.Id })
    $leaves = foreach ($row in (Invoke-TestCouch -Url $Url -Path "$Source/_changes?style=all_docs").results) {
        if ($Ids -and $row.id -notin $Ids) { continue }
        if ($row.id -in $excused) { continue }
        foreach ($change in $row.changes) { @{ id = $row.id; rev = $change.rev } }
    }
    $leaves = @($leaves)
    for ($i = 0; $i -lt $leaves.Count; $i += 500) {
        $chunk = $leaves[$i..([Math]::Min($i + 499, $leaves.Count - 1))]
        $read = {
            param($db)
            $found = @{}
            foreach ($result in (Invoke-TestCouch -Url $Url -Path "$db/_bulk_get?revs=true&att_encoding_info=true" -Method POST -Body @{ docs = $chunk }).results) {
                foreach ($entry in $result.docs) {
                    if ($entry.ok) { $found["$($entry.ok._id) $($entry.ok._rev)"] = (ConvertTo-CanonicalJson $entry.ok) -replace '"revpos":[0-9]+', '"revpos":_' }
                }
            }
            $found
        }
        $onSource = & $read $Source
        $onTarget = & $read $Target
        foreach ($leaf in $chunk) {
            $key = "$($leaf.id) $($leaf.rev)"
            if (-not $onTarget.ContainsKey($key)) { throw "nothing lost: revision $($leaf.rev) of '$($leaf.id)' is on $Source but neither on $Target nor among the reported failures" }
            if ($onTarget[$key] -ne $onSource[$key]) { throw "nothing lost: revision $($leaf.rev) of '$($leaf.id)' differs on $Target" }
        }
    }
}

Export-ModuleMember -Function Start-TestCouchServer, Start-TestCouchDb, Start-TestCouchDbCluster, Start-TestIamTokenServer, Stop-TestCouchServer, Wait-Until, Wait-Running,
    Invoke-TestCouch, Get-TestCouchStatus,
    New-TestDbName, New-TestSeededDb, Assert-NothingLost
