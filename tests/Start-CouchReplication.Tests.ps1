# Start-CouchReplication as a user calls it, in real pwsh, against a real server: waited for, in the
# background, to and from a database file, and interrupted.
BeforeAll {
    $modulePath = Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Start-CouchReplication' {
    It 'replicates and returns a CouchReplicationResult; a second run has no changes' {
        $source = New-TestSeededDb -Url $url -Count 25
        $target = New-TestDbName 'target'
        $result = Start-CouchReplication "$url$source" "$url$target" -CreateTarget
        $result | Should -BeOfType ([CouchReplication.CouchReplicationResult])
        $result.Ok | Should -BeTrue
        $result.DocsWritten | Should -Be 25
        $result.History[0].DocsWritten | Should -Be 25
        (Invoke-TestCouch -Url $url -Path $target).doc_count | Should -Be 25
        Assert-NothingLost -Url $url -Source $source -Target $target -Failures $result.Failures

        $again = Start-CouchReplication "$url$source" "$url$target"
        $again.NoChanges | Should -BeTrue
        $again.DocsWritten | Should -Be 0
    }

    It 'takes a document from New-CouchReplicationDoc through the pipeline' {
        $source = New-TestSeededDb -Url $url -Count 5
        $target = New-TestDbName 'target'
        $result = New-CouchReplicationDoc -Source "$url$source" -Target "$url$target" -CreateTarget | Start-CouchReplication
        $result.DocsWritten | Should -Be 5
        Assert-NothingLost -Url $url -Source $source -Target $target -Failures $result.Failures
    }

    It 'takes ConvertFrom-Json output and hashtables through the pipeline' {
        $source = New-TestSeededDb -Url $url -Count 3
        $fromJson, $fromHashtable = (New-TestDbName 'target'), (New-TestDbName 'target')
        $json = @{ source = "$url$source"; target = "$url$fromJson"; create_target = $true } | ConvertTo-Json
        ($json | ConvertFrom-Json | Start-CouchReplication).DocsWritten | Should -Be 3
        (@{ source = "$url$source"; target = "$url$fromHashtable"; create_target = $true } | Start-CouchReplication).DocsWritten | Should -Be 3
        Assert-NothingLost -Url $url -Source $source -Target $fromJson
        Assert-NothingLost -Url $url -Source $source -Target $fromHashtable
    }

    It 'keeps and warns about fields it does not know in a document from JSON' {
        $source = New-TestSeededDb -Url $url -Count 1
        $json = @{ source = "$url$source"; target = "$url$(New-TestDbName 'target')"; create_target = $true; colour = 'blue'; owner = 'ann'; _replication_state = 'completed' } | ConvertTo-Json
        $result = $json | ConvertFrom-Json | Start-CouchReplication -WarningVariable warnings 3>$null
        $result.DocsWritten | Should -Be 1
        $warnings | Should -Match "Unknown replication document field 'colour'"
        $warnings | Should -Not -Match "'owner'|'_replication_state'"
    }

    It 'gives results that survive ConvertTo-Json and Export-Csv with every field' {
        $source = New-TestSeededDb -Url $url -Count 4
        $result = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget
        $json = $result | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        $json.DocsWritten | Should -Be 4
        $json.History[0].DocsWritten | Should -Be 4
        $json.ReplicationId | Should -Be $result.ReplicationId
        $csv = Join-Path ([IO.Path]::GetTempPath()) "result-$([guid]::NewGuid()).csv"
        try {
            $result | Export-Csv $csv
            $row = Import-Csv $csv
            foreach ($name in 'Ok', 'ReplicationId', 'SessionId', 'SourceLastSeq', 'NoChanges', 'DocsRead', 'DocsWritten', 'DocWriteFailures', 'Source', 'Target') {
                $row.PSObject.Properties.Name | Should -Contain $name
                "$($row.$name)" | Should -Be "$($result.$name)"
            }
        }
        finally {
            Remove-Item $csv -ErrorAction SilentlyContinue
        }
    }

    It 'reports progress while it waits' {
        $source = New-TestSeededDb -Url $url -Count 50
        $target = New-TestDbName 'target'
        $run = Invoke-WithProgress { param($Source, $Target) Start-CouchReplication $Source $Target -CreateTarget } "$url$source", "$url$target"
        $run.Output.DocsWritten | Should -Be 50
        $run.Progress.Count | Should -BeGreaterThan 0
        $authority = ([uri]$url).Authority
        $run.Progress[0].Activity | Should -Be "$authority/$source -> $authority/$target"
        $run.Progress[-1].RecordType | Should -Be 'Completed'
    }

    It 'takes credentials as PSCredential' {
        $source = New-TestSeededDb -Url $url -Count 2
        $plainUrl = $url -replace '//[^@]+@', '//'
        $credential = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $result = Start-CouchReplication "$plainUrl$source" "$plainUrl$(New-TestDbName 'target')" -CreateTarget -SourceCredential $credential -TargetCredential $credential
        $result.DocsWritten | Should -Be 2
    }

    It 'writes nothing with -WhatIf' {
        $source = New-TestSeededDb -Url $url -Count 2
        $target = New-TestDbName 'target'
        Start-CouchReplication "$url$source" "$url$target" -CreateTarget -WhatIf | Should -BeNullOrEmpty
        Get-TestCouchStatus -Url $url -Path $target | Should -Be 404
    }

    It 'fails a wrong password with CouchReplication.Unauthorized, creates nothing and shows no password' {
        $source = New-TestSeededDb -Url $url -Count 2
        $target = New-TestDbName 'target'
        $wrong = $url -replace ':secret@', ':wrong-password@'
        $err = $null
        $out = Start-CouchReplication "$wrong$source" "$url$target" -CreateTarget -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.Unauthorized,CouchReplication.Commands.StartCouchReplicationCommand'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($err | Out-String) + ($out | Out-String) | Should -Not -Match 'wrong-password|secret'
        Get-TestCouchStatus -Url $url -Path $target | Should -Be 404
    }

    It 'names a missing target in a DbNotFound error unless -CreateTarget' {
        $source = New-TestSeededDb -Url $url -Count 1
        $err = $null
        Start-CouchReplication "$url$source" "$url$(New-TestDbName 'absent')" -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.DbNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'narrates the protocol under -Verbose without credentials' {
        $source = New-TestSeededDb -Url $url -Count 3
        $verbose = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match '_changes since 0'
        ($verbose.Message -join "`n") | Should -Match 'Checkpoint at'
        ($verbose.Message -join "`n") | Should -Not -Match 'secret'
    }

    It 'narrates under -Debug alone without asking to continue: the verbose lines come as debug lines' {
        # PowerShell makes a compiled cmdlet's verbose lines Inquire under -Debug alone; this pwsh is
        # NonInteractive, so a prompt would be an error here.
        $source = New-TestSeededDb -Url $url -Count 3
        $everything = @(& { Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Debug } *>&1)
        $everything | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Should -BeNullOrEmpty
        $debug = @($everything | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        @($debug -match '^Created the target database').Count | Should -Be 1
        @($debug -match '/_bulk_docs: 201 Created after').Count | Should -BeGreaterThan 0
        ($everything | Where-Object { $_ -is [CouchReplication.CouchReplicationResult] }).DocsWritten | Should -Be 3
    }
}

Describe 'Start-CouchReplication -Continuous, -NoWait and -Wait' {
    BeforeEach {
        $script:source = New-TestSeededDb -Url $url -Count 3
        $script:target = New-TestDbName 'target'
    }
    AfterEach {
        Get-CouchActiveTask | Stop-CouchReplication
    }

    It 'converts a running task to JSON at once, with its counters (no blocking Task.Result on the object)' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        Wait-Until { $task.DocsWritten -ge 3 } -Timeout 30 -Because 'three documents written'
        $convert = [powershell]::Create().AddCommand('ConvertTo-Json').AddParameter('InputObject', $task).AddParameter('Depth', 2)
        try {
            $pending = $convert.BeginInvoke()
            $pending.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'ConvertTo-Json reads every property; none may wait for the replication to end'
            $json = $convert.EndInvoke($pending) | ConvertFrom-Json
        }
        finally { $convert.Dispose() }
        $json.State | Should -Be ([int][CouchReplication.CouchReplicationState]::Running)
        $json.DocsWritten | Should -Be 3
        $json.Result | Should -BeNullOrEmpty
        $json.Source | Should -Not -Match 'secret'
    }

    It 'warns and returns the running task when the same replication is started again' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        $again = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous -WarningVariable warnings 3>$null
        $again.ReplicationId | Should -Be $task.ReplicationId
        [object]::ReferenceEquals($task, $again) | Should -BeTrue
        $warnings[0] | Should -Match 'already running'
    }

    It 'runs a one-shot replication in the background with -NoWait' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -NoWait
        $task | Should -BeOfType ([CouchReplication.CouchReplicationTask])
        $task.Completion.Wait(60000) | Should -BeTrue
        $task.State | Should -Be 'Completed'
        $task.Result.DocsWritten | Should -Be 3
    }

    It 'blocks with -Continuous -Wait until stopped, and a pipeline stop (Ctrl+C) stops it with a final checkpoint' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($Module, $Source, $Target)
            Import-Module $Module
            Start-CouchReplication $Source $Target -CreateTarget -Continuous -Wait
        }).AddArgument($modulePath).AddArgument("$url$source").AddArgument("$url$target")
        $handle = $ps.BeginInvoke()
        try {
            $active = Wait-Until { Get-CouchActiveTask | Where-Object { $_.Target -like "*$target*" -and $_.DocsWritten -eq 3 } } -Timeout 30 `
                -Because 'the replication writing three documents' -PassThru
            $active | Should -Not -BeNullOrEmpty
            $handle.IsCompleted | Should -BeFalse
            $ps.Stop()
            $stopped = Get-CouchActiveTask -All -ReplicationId $active.ReplicationId
            $stopped.State | Should -Be 'Stopped'
            $stopped.CheckpointedSourceSeq | Should -Be $stopped.ThroughSeq
            $stopped.CheckpointedSourceSeq | Should -Not -Be '0'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'A database file (backup and restore)' {
    It 'backs a database up into a file at a path relative to the current location, restores it, and compares equal' {
        $source = New-TestSeededDb -Url $url -Count 12
        $restored = New-TestDbName 'restored'
        Push-Location TestDrive:/
        try {
            $backup = Start-CouchReplication "$url$source" ./orders.couchdb -CreateTarget
            $backup.Ok | Should -BeTrue
            $backup.Target | Should -Be (Join-Path (Get-PSDrive TestDrive).Root 'orders.couchdb')
            Test-Path TestDrive:/orders.couchdb | Should -BeTrue
            $restore = Start-CouchReplication ./orders.couchdb "$url$restored" -CreateTarget
            $restore.DocsWritten | Should -Be 12
            (Compare-CouchDatabase "$url$source" "$url$restored" -Deep -Both -Quiet) | Should -BeTrue
            (Compare-CouchDatabase ./orders.couchdb "$url$restored" -Quiet) | Should -BeTrue
            (Start-CouchReplication "$url$source" ./orders.couchdb).NoChanges | Should -BeTrue
        }
        finally {
            Pop-Location
        }
    }

    It 'takes a path in New-CouchReplicationDoc, made full in the document and its JSON, and through the pipeline' {
        $source = New-TestSeededDb -Url $url -Count 3
        $file = Join-Path (Get-PSDrive TestDrive).Root 'piped.couchdb'
        Push-Location TestDrive:/
        try {
            $doc = New-CouchReplicationDoc -Source "$url$source" -Target ./piped.couchdb -CreateTarget
        }
        finally {
            Pop-Location
        }
        $doc.Target | Should -Be $file
        ($doc.ToJson() | ConvertFrom-Json).target | Should -Be $file
        ($doc | Start-CouchReplication).DocsWritten | Should -Be 3
    }

    It 'refuses a missing file without -CreateTarget as DbNotFound, and a credential for a file as InvalidArgument' {
        $source = New-TestSeededDb -Url $url -Count 1
        $missing = Join-Path (Get-PSDrive TestDrive).Root 'absent.couchdb'
        { Start-CouchReplication "$url$source" $missing -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.DbNotFound,CouchReplication.Commands.StartCouchReplicationCommand'
        Test-Path $missing | Should -BeFalse
        $credential = [pscredential]::new('ann', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        { Start-CouchReplication "$url$source" $missing -TargetCredential $credential -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
    }

    It 'applies a -Selector and -DocIds to a file source, with no server, as CouchDB would' {
        Push-Location TestDrive:/
        try {
            1..20 | ForEach-Object { @{ _id = 'order-{0:D2}' -f $_; total = $_; status = ('open', 'closed')[$_ % 2] } } | Add-CouchDocument ./orders-all.couchdb -CreateDatabase
            $open = Start-CouchReplication ./orders-all.couchdb ./orders-open.couchdb -CreateTarget -Selector @{ status = 'open'; total = @{ '$gt' = 10 } }
            $open.DocsWritten | Should -Be 5
            (Compare-CouchDatabase ./orders-all.couchdb ./orders-open.couchdb -Selector @{ status = 'open'; total = @{ '$gt' = 10 } } -Deep -Quiet) | Should -BeTrue
            (Compare-CouchDatabase ./orders-all.couchdb ./orders-open.couchdb -Quiet) | Should -BeFalse
            (Start-CouchReplication ./orders-all.couchdb ./orders-two.couchdb -CreateTarget -DocIds order-01, order-02).DocsWritten | Should -Be 2
            { Start-CouchReplication ./orders-all.couchdb ./never.couchdb -CreateTarget -Selector @{ total = @{ '$bogus' = 1 } } -ErrorAction Stop } |
                Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
            Test-Path ./never.couchdb | Should -BeFalse
        }
        finally {
            Pop-Location
        }
    }
}

Describe 'Ctrl+C in a terminal' {
    It 'says where the replication stopped and that running the same command again resumes there; the rerun does' -Skip:$IsWindows {
        $source = New-TestSeededDb -Url $url -Count 3000
        $target = New-TestDbName 'target'
        $output = New-TemporaryFile
        # One change per batch, so the copy takes long enough to be interrupted; SIGINT is what Ctrl+C sends.
        $command = "Import-Module '$modulePath'; Start-CouchReplication '$url$source' '$url$target' -CreateTarget -WorkerBatchSize 1 -WorkerProcesses 1 -ProgressAction SilentlyContinue"
        $pwsh = Start-Process (Get-TestPwsh) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $command -RedirectStandardOutput $output -PassThru
        try {
            Wait-Until { (Get-TestCouchStatus -Url $url -Path $target) -eq 200 -and (Invoke-TestCouch -Url $url -Path $target).doc_count -ge 50 } -Timeout 60 -Because 'the copy under way'
            & kill -s INT $pwsh.Id
            $pwsh.WaitForExit(60000) | Should -BeTrue -Because 'Ctrl+C ends the command once the final checkpoint is written'
        }
        finally {
            if (-not $pwsh.HasExited) { $pwsh.Kill() }
        }
        $said = Get-Content $output -Raw
        Remove-Item $output
        $said | Should -Match 'Replication stopped after \d+ documents written, checkpointed at source sequence \S+; run the same command again to resume from there'
        $before = [int]([regex]::Match($said, 'after (\d+) documents written').Groups[1].Value)
        $before | Should -BeGreaterOrEqual 50
        $written = (Invoke-TestCouch -Url $url -Path $target).doc_count
        $written | Should -BeLessThan 3000 -Because 'it stopped in the middle'

        $rerun = Start-CouchReplication "$url$source" "$url$target" -CreateTarget
        $rerun.DocsWritten | Should -BeLessOrEqual (3000 - $before) -Because 'the rerun resumes from the final checkpoint'
        (Invoke-TestCouch -Url $url -Path $target).doc_count | Should -Be 3000
        Assert-NothingLost -Url $url -Source $source -Target $target
    }
}
