@{
    RootModule             = 'CouchReplication.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '4f0b7d3e-5a0c-4c1e-9b8e-2f6d1c7a9e31'
    Author                 = 'CouchReplication contributors'
    CompanyName            = 'CouchReplication'
    Copyright              = '(c) CouchReplication contributors. Apache License 2.0.'
    Description            = 'Replicate CouchDB, Cloudant and PouchDB databases from PowerShell: a replication engine that speaks the CouchDB replication protocol, with checkpoints, progress and typed results.'
    PowerShellVersion      = '7.4'
    CompatiblePSEditions   = @('Core')
    RequiredAssemblies     = @('CouchReplication.Engine.dll', 'Polly.Core.dll')
    FormatsToProcess       = @('CouchReplication.format.ps1xml')
    CmdletsToExport        = @('New-CouchReplicationDoc', 'Start-CouchReplication', 'Get-CouchActiveTask', 'Stop-CouchReplication', 'Get-CouchReplicationDoc', 'Compare-CouchDatabase', 'Get-CouchReplicationOption', 'Set-CouchReplicationOption', 'Add-CouchDocument')
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('CouchDB', 'Cloudant', 'PouchDB', 'Replication', 'Database', 'Sync', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ReleaseNotes = '0.1.0: replication in the module engine, one-shot and continuous, with checkpoints on both sides; New-CouchReplicationDoc, Start-CouchReplication, Get-CouchActiveTask, Stop-CouchReplication; Compare-CouchDatabase to prove a copy complete; -Server mode for a server''s own replicator.'
        }
    }
}
