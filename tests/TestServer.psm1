# Starts and stops a throwaway pouchdb-server (tests/server) or Apache CouchDB for the Pester
# suites, or uses the server COUCH_TEST_URL names. Every request sends Accept: application/json
# and has a timeout.

$script:AdminUser = 'admin'
$script:AdminPassword = 'secret'

function Start-TestCouchServer {
    if ($env:COUCH_TEST_URL) {
        return [pscustomobject]@{ Url = $env:COUCH_TEST_URL.TrimEnd('/') + '/'; Process = $null; WorkDir = $null }
    }
    $work = Join-Path ([IO.Path]::GetTempPath()) ("couchrepl-pester-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    @{ admins = @{ $script:AdminUser = $script:AdminPassword }; log = @{ file = (Join-Path $work 'pouchdb.log') } } |
        ConvertTo-Json | Set-Content (Join-Path $work 'config.json')
    $server = Join-Path $PSScriptRoot 'server/server.js'
    $process = Start-Process -FilePath node -PassThru -WorkingDirectory $work `
        -RedirectStandardOutput (Join-Path $work 'stdout.log') -RedirectStandardError (Join-Path $work 'stderr.log') `
        -ArgumentList $server, '-m', '-p', $port, '-o', '127.0.0.1', '-c', (Join-Path $work 'config.json'), '-n'
    $url = "http://$($script:AdminUser):$($script:AdminPassword)@127.0.0.1:$port/"
    Wait-TestCouchServer -Url $url -Path '' -Process $process -Name 'pouchdb-server'
    [pscustomobject]@{ Url = $url; Process = $process; WorkDir = $work }
}

# A throwaway Apache CouchDB from /opt/couchdb, as the xunit fixture starts it: its own node name,
# cookie, free port and data directory, configured through COUCHDB_ARGS_FILE and COUCHDB_INI_FILES.
function Start-TestCouchDb {
    $home_ = '/opt/couchdb'
    $work = Join-Path ([IO.Path]::GetTempPath()) ("couchrepl-pester-couchdb-" + [guid]::NewGuid().ToString('N'))
    $data = New-Item -ItemType Directory -Path (Join-Path $work 'data') -Force
    $port, $distribution = 1..2 | ForEach-Object {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $listener.LocalEndpoint.Port; $listener.Stop()
    }
    @(Get-Content (Join-Path $home_ 'etc/vm.args') | Where-Object { $_ -notmatch '^-(name|setcookie)' }) +
        "-name pestertest$port@127.0.0.1", "-setcookie $([guid]::NewGuid().ToString('N'))", '-start_epmd false', "-erl_epmd_port $distribution" |
        Set-Content (Join-Path $work 'vm.args')
    $fields = @{ UUID = [guid]::NewGuid().ToString('N'); DATA = $data.FullName; PORT = $port; ADMIN_USER = $script:AdminUser
        ADMIN_PASSWORD = $script:AdminPassword; LOG = (Join-Path $work 'couch.log') }
    $ini = Get-Content -Raw (Join-Path $PSScriptRoot 'couchdb-test-node.ini')
    foreach ($field in $fields.GetEnumerator()) { $ini = $ini.Replace("{$($field.Key)}", [string]$field.Value) }
    Set-Content -Path (Join-Path $work 'local.ini') -Value $ini
    $process = Start-Process -FilePath (Join-Path $home_ 'bin/couchdb') -PassThru -WorkingDirectory $work `
        -RedirectStandardOutput (Join-Path $work 'stdout.log') -RedirectStandardError (Join-Path $work 'stderr.log') `
        -Environment @{ COUCHDB_ARGS_FILE = (Join-Path $work 'vm.args'); COUCHDB_INI_FILES = "$(Join-Path $home_ 'etc/default.ini') $(Join-Path $work 'local.ini')" }
    $url = "http://$($script:AdminUser):$($script:AdminPassword)@127.0.0.1:$port/"
    # /_up answers before the system databases exist; _users appears last.
    Wait-TestCouchServer -Url $url -Path '_users' -Process $process -Name 'Apache CouchDB'
    [pscustomobject]@{ Url = $url; Process = $process; WorkDir = $work }
}

function Wait-TestCouchServer([string] $Url, [string] $Path, $Process, [string] $Name) {
    $deadline = (Get-Date).AddSeconds(60)
    while ($true) {
        try { Invoke-TestCouch -Url $Url -Path $Path | Out-Null; return }
        catch { if ((Get-Date) -gt $deadline -or $Process.HasExited) { throw "$Name did not start: $_" }; Start-Sleep -Milliseconds 100 }
    }
}

function Stop-TestCouchServer($Server) {
    if ($Server.Process -and -not $Server.Process.HasExited) { $Server.Process.Kill($true); $Server.Process.WaitForExit(10000) | Out-Null }
    if ($Server.WorkDir) { Remove-Item -Recurse -Force $Server.WorkDir -ErrorAction SilentlyContinue }
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

Export-ModuleMember -Function Start-TestCouchServer, Start-TestCouchDb, Stop-TestCouchServer, Invoke-TestCouch, Get-TestCouchStatus,
    New-TestDbName, New-TestSeededDb, Assert-NothingLost
