# Examples for the cmdlets' help. build.ps1 Help merges them with the cmdlets' XML documentation
# into en-US/CouchReplication.dll-Help.xml.
#
# tests/Help.Tests.ps1 runs every example against a throwaway pouchdb-server, so each must work as
# written: https://db1.example.com and https://db2.example.com stand for that server (a database
# "orders" on db1 becomes "db1-orders" there, seeded with documents), and the variables examples
# use are set as a user would have them: $src and $dst (database URLs on db1 and db2), $cred and
# $admin (the server's admin credential), $old and $new (server root URLs), $doc (a continuous
# replication document, started). An example that cannot run against one local server says why
# in Skip.
@{
    'New-CouchReplicationDoc' = @(
        @{
            Code    = 'New-CouchReplicationDoc -Source https://db1.example.com/orders -Target https://db2.example.com/orders -CreateTarget'
            Remarks = 'Builds a replication document. Nothing is sent anywhere; the document is checked as Start-CouchReplication would check it.'
        }
        @{
            Code    = "`$doc = New-CouchReplicationDoc -Source `$src -Target `$dst -Selector @{ type = 'order' } -WorkerBatchSize 200`n`$doc.ToJson() | Set-Content rep.json"
            Remarks = 'Saves a filtered replication as CouchDB JSON (passwords are left out; ToJson($true) includes them).'
        }
        @{
            Code    = "New-CouchReplicationDoc -Source `$src -Target `$dst -Continuous | Start-CouchReplication"
            Remarks = 'Starts the replication the document describes, in the background of the session.'
        }
    )
    'Start-CouchReplication' = @(
        @{
            Code    = 'Start-CouchReplication https://db1.example.com/orders https://db2.example.com/orders -CreateTarget -SourceCredential $cred -TargetCredential $cred'
            Remarks = 'Copies a database, creating the target, and returns a CouchReplicationResult. Run it again: only what changed travels.'
        }
        @{
            Code    = "Start-CouchReplication https://db1.example.com/orders ./orders.couchdb -CreateTarget -SourceCredential `$cred`nStart-CouchReplication ./orders.couchdb https://db2.example.com/orders -CreateTarget -TargetCredential `$cred"
            Remarks = 'Backs a database up into a database file (created by -CreateTarget; the next backup copies only what changed), then restores the file into a database on another server, revision ids and history unchanged. See about_CouchReplication_Backup.'
        }
        @{
            Code    = "`$task = Start-CouchReplication `$src `$dst -Continuous -CheckpointInterval 5000`nGet-CouchActiveTask -ReplicationId `$task.ReplicationId"
            Remarks = 'Keeps the target in sync in the background of the session.'
        }
        @{
            Code    = 'Get-Content rep.json | ConvertFrom-Json | Start-CouchReplication -SourceCredential $cred -TargetCredential $cred -Verbose'
            Remarks = 'Runs a replication document saved as JSON, with credentials, narrating the protocol steps. URLs always show the password as *****.'
        }
        @{
            Code    = 'Start-CouchReplication $src $dst -DocIds order-1, order-2 -UseCheckpoints:$false'
            Remarks = 'Copies two documents without writing checkpoints: the source needs only read access.'
        }
        @{
            Code    = "`$job = Start-CouchReplication `$src `$dst -CreateTarget -AsJob`n`$job | Wait-Job -Timeout 600 | Receive-Job"
            Remarks = 'Replicates as a PowerShell job: Wait-Job waits for it, Receive-Job gives the CouchReplicationResult, the warnings, and the error of a failed run. Stop-Job stops it with a final checkpoint.'
        }
    )
    'Get-CouchActiveTask' = @(
        @{
            Code    = 'Get-CouchActiveTask'
            Remarks = "Lists this session's running replications with their counters."
        }
        @{
            Code    = 'Get-CouchActiveTask -All | Where-Object State -eq Failed | Select-Object ReplicationId, Error'
            Remarks = 'Shows the replications that failed, and why.'
        }
        @{
            Code    = 'Get-CouchActiveTask -ReplicationId 0a81b6*'
            Remarks = 'Gets replications by id, with wildcards; a bare replication id matches its +continuous task.'
        }
    )
    'Stop-CouchReplication' = @(
        @{
            Code    = 'Get-CouchActiveTask | Stop-CouchReplication -PassThru'
            Remarks = 'Stops every running replication of the session; each writes a final checkpoint.'
        }
        @{
            Code    = 'Stop-CouchReplication -ReplicationId 0a81b6* -WhatIf'
            Remarks = 'Shows which replications would be stopped.'
        }
        @{
            Code    = '$doc | Stop-CouchReplication'
            Remarks = 'Stops the replication that the same document started, as CouchDB cancels a replication given its document.'
        }
    )
    'Get-CouchReplicationDoc' = @(
        @{
            Code    = 'Get-CouchReplicationDoc -Server $old -Credential $admin'
            Remarks = "Lists the server's persistent replications (its _replicator documents) with their state."
        }
        @{
            Code    = "Get-CouchReplicationDoc -Server `$old -Credential `$admin | ForEach-Object { `$_.ToJson() | Set-Content `"`$(`$_.Id).json`" }"
            Remarks = 'Exports each persistent replication as CouchDB JSON, passwords left out (ToJson($true) keeps them).'
        }
        @{
            Code    = 'Get-CouchReplicationDoc -Server $old -Credential $admin -Id nightly-* | Start-CouchReplication -Server $new -Credential $admin -Persistent -SourceCredential $cred -TargetCredential $cred'
            Remarks = "Re-applies replications to another server's replicator, giving the endpoints' credentials again."
        }
    )
    'Add-CouchDocument' = @(
        @{
            Code    = "1..100 | ForEach-Object { @{ _id = 'order-{0:D3}' -f `$_; total = `$_ * 3; status = 'open' } } | Add-CouchDocument ./orders.couchdb -CreateDatabase"
            Remarks = 'Seeds a database file with 100 documents, no server needed: for a demo, or for a Pester test of a script that replicates.'
        }
        @{
            Code    = "`$written = Add-CouchDocument ./settings.couchdb @{ _id = 'limits'; max = 10 } -CreateDatabase -PassThru`nAdd-CouchDocument ./settings.couchdb @{ _id = 'limits'; _rev = `$written.Rev; max = 20 }"
            Remarks = 'Writes a document, then its next revision: an update names the revision it continues in _rev, as in CouchDB; without it the second write would be refused as a conflict.'
        }
        @{
            Code    = "'{`"_id`": `"order-9001`", `"total`": 12}', '{`"_id`": `"order-9002`", `"total`": 30}' | Add-CouchDocument https://db1.example.com/orders -Credential `$cred -PassThru"
            Remarks = 'Writes JSON documents into a database on a server and shows each id with its new revision.'
        }
    )
    'Compare-CouchDatabase' = @(
        @{
            Code    = 'Compare-CouchDatabase https://db1.example.com/orders https://db2.example.com/orders -SourceCredential $cred -TargetCredential $cred'
            Remarks = 'Lists every revision of the source (conflicts and deletions included) that the target lacks, then a summary. No output before the summary means the copy is complete.'
        }
        @{
            Code    = "if (-not (Compare-CouchDatabase `$src `$dst -Quiet)) { Start-CouchReplication `$src `$dst }"
            Remarks = 'Replicates again only when the copy is not complete: -Quiet writes $true or $false only.'
        }
        @{
            Code    = 'Get-Content rep.json | ConvertFrom-Json | Compare-CouchDatabase -SourceCredential $cred -TargetCredential $cred -Deep -Both | Where-Object Kind -ne MissingOnTarget'
            Remarks = 'Checks what a saved (filtered) replication covers, bodies and attachment digests too, and the target for revisions the source lacks; shows only the differences other than missing ones.'
        }
    )
    'Get-CouchReplicationOption' = @(
        @{
            Code    = 'Get-CouchReplicationOption'
            Remarks = 'Shows how many replications of this session may run at once, how often a one-shot replication is restarted after a crash, and how many run and wait now.'
        }
        @{
            Code    = '(Get-CouchReplicationOption).Pending'
            Remarks = 'How many replications wait for their turn.'
        }
        @{
            Code    = 'if ((Get-CouchReplicationOption).MaxJobs -lt 50) { Set-CouchReplicationOption -MaxJobs 50 }'
            Remarks = 'Raises the limit in a script that knows its server can take more.'
        }
    )
    'Set-CouchReplicationOption' = @(
        @{
            Code    = 'Set-CouchReplicationOption -MaxJobs 10'
            Remarks = 'Runs at most ten replications at once; the others wait in state Pending, in order.'
        }
        @{
            Code    = "Set-CouchReplicationOption -MaxJobs 20`n(Invoke-RestMethod `$old/_all_dbs) -notmatch '^_' | ForEach-Object { Start-CouchReplication `"`$old/`$_`" `"`$new/`$_`" -CreateTarget -NoWait }"
            Remarks = 'Migrates every database of a server, twenty at a time; Get-CouchActiveTask shows the queue.'
            Skip    = 'copies every database of one server to another: needs two servers'
        }
        @{
            Code    = 'Set-CouchReplicationOption -MaxJobs 4 -PassThru'
            Remarks = 'Changes the limit and shows the settings.'
        }
        @{
            Code    = 'Set-CouchReplicationOption -MaxRestarts 10'
            Remarks = 'Gives one-shot replications started from now on ten restarts after a transient crash before they are Failed (the waits double from 2 seconds up to 5 minutes: about 18 minutes in all), for a server that is being restarted or moved.'
        }
    )
}
