# Starts and stops a throwaway pouchdb-server (tests/server) for the Pester suites, or uses the
# server COUCH_TEST_URL names. Every request sends Accept: application/json and has a timeout.

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
    $deadline = (Get-Date).AddSeconds(60)
    while ($true) {
        try { Invoke-TestCouch -Url $url -Path '' | Out-Null; break }
        catch { if ((Get-Date) -gt $deadline -or $process.HasExited) { throw "pouchdb-server did not start: $_" }; Start-Sleep -Milliseconds 100 }
    }
    [pscustomobject]@{ Url = $url; Process = $process; WorkDir = $work }
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

Export-ModuleMember -Function Start-TestCouchServer, Stop-TestCouchServer, Invoke-TestCouch, Get-TestCouchStatus, New-TestDbName
