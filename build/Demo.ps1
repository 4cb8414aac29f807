<#
.SYNOPSIS
    The demo build.ps1 Demo runs (its help says what it shows), with the module as last built:
    two database files in a temporary folder, no server.
#>
param(
    # The manifest of the built module folder (build.ps1 passes out/CouchReplication's).
    [Parameter(Mandatory)]
    [string] $Module
)

$ErrorActionPreference = 'Stop'

Import-Module $module -Force
# Database files in a folder of their own: no server, nothing to install, nothing left behind.
$work = Join-Path ([IO.Path]::GetTempPath()) "couchreplication-demo-$PID"
New-Item -ItemType Directory -Force $work | Out-Null
Push-Location $work
try {
    Write-Host "Writing 2000 sample orders into orders.couchdb, a database file (SQLite) in $work..."
    1..2000 | ForEach-Object { @{ _id = 'order-{0:D5}' -f $_; total = $_ * 3; status = 'open' } } |
        Add-CouchDocument ./orders.couchdb -CreateDatabase

    Write-Host 'Replicating them into a second database file, orders-copy.couchdb...'
    $result = Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb -CreateTarget -WorkerBatchSize 100
    $result | Format-List Ok, ReplicationId, SessionId, SourceLastSeq, DocsRead, DocsWritten, DocWriteFailures, Source, Target | Out-Host

    Write-Host 'Replicating again: the checkpoint says everything is there already.'
    Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb | Format-List Ok, NoChanges, DocsWritten, SourceLastSeq | Out-Host

    Write-Host 'A continuous replication keeps the copy in sync; a new order arrives within moments.'
    $following = Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb -Continuous
    Add-CouchDocument ./orders.couchdb @{ _id = 'order-new'; total = 42; status = 'open' }
    $deadline = (Get-Date).AddSeconds(30)
    while ($following.ToActiveTask().DocsWritten -lt 1 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
    Get-CouchActiveTask | Out-Host
    Write-Host 'Stopping it (a final checkpoint is written):'
    Get-CouchActiveTask | Stop-CouchReplication -PassThru | Format-Table ReplicationId, State, DocsWritten, CheckpointedSourceSeq | Out-Host

    Write-Host 'Is the copy complete? Compare-CouchDatabase checks every revision:'
    Compare-CouchDatabase ./orders.couchdb ./orders-copy.couchdb | Format-List Identical, DocumentsChecked, RevisionsChecked, Differences | Out-Host
    Write-Host 'The same commands take https:// URLs of CouchDB, Cloudant or PouchDB databases: see README.md.'
}
finally {
    Get-CouchActiveTask | Stop-CouchReplication
    Pop-Location
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
