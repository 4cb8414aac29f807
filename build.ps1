<#
.SYNOPSIS
    Builds, tests and demonstrates the CouchReplication module.
.DESCRIPTION
    Build: dotnet build of CouchReplication.sln; the importable module lands in out/CouchReplication.
    Test:  every test suite, exactly as CI runs them (tests/run.sh).
    Demo:  builds, starts a throwaway pouchdb-server on loopback (tests/server), replicates sample
           data between two databases, shows progress and the result, replicates again (nothing to
           transfer) and stops the server. Needs Node.js; no other setup.
.EXAMPLE
    ./build.ps1 Demo
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot 'out/CouchReplication/CouchReplication.psd1'

function Invoke-ModuleBuild {
    dotnet build (Join-Path $PSScriptRoot 'CouchReplication.sln') -c $Configuration --nologo -v quiet
    if ($LASTEXITCODE) { throw "dotnet build failed with exit code $LASTEXITCODE" }
}

switch ($Task) {
    'Build' {
        Invoke-ModuleBuild
        "Module: $module"
    }
    'Test' {
        bash (Join-Path $PSScriptRoot 'tests/run.sh')
        if ($LASTEXITCODE) { throw "tests failed (exit code $LASTEXITCODE)" }
    }
    'Demo' {
        Invoke-ModuleBuild
        $serverDir = Join-Path $PSScriptRoot 'tests/server'
        if (-not (Test-Path (Join-Path $serverDir 'node_modules'))) {
            npm ci --prefix $serverDir --no-audit --no-fund --loglevel=error
            if ($LASTEXITCODE) { throw "npm ci failed in $serverDir" }
        }
        Import-Module $module -Force
        Import-Module (Join-Path $PSScriptRoot 'tests/TestServer.psm1') -Force
        $server = Start-TestCouchServer
        try {
            $source = New-TestDbName 'demo-source'
            $target = New-TestDbName 'demo-target'
            Invoke-TestCouch -Url $server.Url -Path $source -Method PUT | Out-Null
            $docs = @(1..2000 | ForEach-Object { @{ _id = 'order-{0:D5}' -f $_; total = $_ * 3; status = 'open' } })
            Invoke-TestCouch -Url $server.Url -Path "$source/_bulk_docs" -Method POST -Body @{ docs = $docs } | Out-Null

            Write-Host "Replicating 2000 documents from $source to $target on a local pouchdb-server..."
            $result = Start-CouchReplication "$($server.Url)$source" "$($server.Url)$target" -CreateTarget -WorkerBatchSize 100
            $result | Format-List Ok, ReplicationId, SessionId, SourceLastSeq, DocsRead, DocsWritten, DocWriteFailures, Source, Target | Out-Host

            Write-Host 'Replicating again: the checkpoint says everything is there already.'
            Start-CouchReplication "$($server.Url)$source" "$($server.Url)$target" | Format-List Ok, NoChanges, DocsWritten, SourceLastSeq | Out-Host
        }
        finally {
            Stop-TestCouchServer $server
        }
    }
}
