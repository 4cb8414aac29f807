# Start-CouchReplication -AsJob and the PowerShell job cmdlets a user drives it with.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Jobs: Start-CouchReplication -AsJob with Get-Job, Wait-Job, Receive-Job, Stop-Job, Remove-Job' {
    AfterEach {
        Get-Job | Where-Object PSJobTypeName -eq 'CouchReplicationJob' | Remove-Job -Force
    }

    It 'runs a one-shot replication as a job: Wait-Job, then Receive-Job gives the result and the refused documents as warnings' {
        $source = New-TestSeededDb -Url $url -Count 20
        $target = New-TestDbName 'target'
        Invoke-TestCouch -Url $url -Path $target -Method PUT | Out-Null
        Invoke-TestCouch -Url $url -Path "$target/_design/guard" -Method PUT -Body @{
            validate_doc_update = "function (doc) { if (doc._id === 'doc-7') throw({forbidden: 'not doc-7'}); }" } | Out-Null

        $job = Start-CouchReplication "$url$source" "$url$target" -AsJob
        $job | Should -BeOfType ([CouchReplication.Commands.CouchReplicationJob])
        $job.PSJobTypeName | Should -Be 'CouchReplicationJob'
        (Get-Job -Id $job.Id).InstanceId | Should -Be $job.InstanceId
        $job.Command | Should -Match ([regex]::Escape($source))
        $job.Command | Should -Not -Match 'secret'
        (Get-CouchActiveTask -All).ReplicationId | Should -Contain $job.Replication.ReplicationId

        Wait-Job $job -Timeout 60 | Should -Not -BeNullOrEmpty
        $job.State | Should -Be 'Completed'
        $job.HasMoreData | Should -BeTrue
        $warnings = $null
        $result = Receive-Job $job -WarningVariable warnings 3>$null
        $result | Should -BeOfType ([CouchReplication.CouchReplicationResult])
        $result.DocsWritten | Should -Be 19
        $result.DocWriteFailures | Should -Be 1
        $result.Duration | Should -BeGreaterThan ([timespan]::Zero)
        ($warnings -join "`n") | Should -Match 'doc-7'
        $job.HasMoreData | Should -BeFalse
        Assert-NothingLost -Url $url -Source $source -Target $target -Failures $result.Failures

        Remove-Job $job
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'stops a continuous job with Stop-Job: a final checkpoint, state Stopped in the job and in Get-CouchActiveTask' {
        $source = New-TestSeededDb -Url $url -Count 5
        $target = New-TestDbName 'target'
        $job = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous -AsJob
        Wait-Until { $job.Replication.DocsWritten -ge 5 } -Timeout 30 -Because 'five documents written'
        Wait-Job $job -Timeout 1 | Should -BeNullOrEmpty -Because 'a continuous replication does not end by itself'
        $job.State | Should -Be 'Running'

        Stop-Job $job
        $job.State | Should -Be 'Stopped'
        $task = Get-CouchActiveTask -All -ReplicationId $job.Replication.ReplicationId
        $task.State | Should -Be 'Stopped'
        $checkpoint = Invoke-TestCouch -Url $url -Path "$target/_local/$($job.Replication.CheckpointId)"
        $checkpoint.source_last_seq | Should -Not -BeNullOrEmpty
        Assert-NothingLost -Url $url -Source $source -Target $target
    }

    It 'fails a job whose replication fails, and Receive-Job gives the error record' {
        $source = New-TestSeededDb -Url $url -Count 3
        $target = New-TestDbName 'target'
        $job = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous -AsJob
        Wait-Until { $job.Replication.DocsWritten -ge 3 } -Timeout 30 -Because 'three documents written'
        Invoke-TestCouch -Url $url -Path $target -Method DELETE | Out-Null
        Invoke-TestCouch -Url $url -Path "$source/late" -Method PUT -Body @{ n = 1 } | Out-Null

        Wait-Until { $job.State -in 'Failed', 'Completed', 'Stopped' } -Timeout 60 -Because 'the replication failing without its target'
        $job.State | Should -Be 'Failed'
        $errors = $null
        Receive-Job $job -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Match '^CouchReplication\.'
        "$($errors[0])" | Should -Not -Match 'secret'
        { Receive-Job $job -ErrorAction Stop } | Should -Not -Throw -Because 'what was received is gone'
    }

    It 'checks both ends before it returns: a wrong password or a missing database is an error of the command, no job is made' -TestCases @(
        @{ Switch = 'AsJob' }, @{ Switch = 'NoWait' }, @{ Switch = 'Continuous' }
    ) {
        $source = New-TestSeededDb -Url $url -Count 1
        $wrong = $url -replace ':secret@', ':not-the-password@'
        $jobs = @(Get-Job).Count
        $tasks = @(Get-CouchActiveTask -All).Count
        $switches = @{ $Switch = $true }

        $err = $null
        Start-CouchReplication "$wrong$source" "$url$(New-TestDbName 'target')" -CreateTarget @switches -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.Unauthorized,*'
        "$($err[0]) $($err[0].TargetObject)" | Should -Not -Match 'not-the-password'

        $err = $null
        Start-CouchReplication "$url$source" "$url$(New-TestDbName 'missing')" @switches -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.DbNotFound,*'
        $err[0].Exception.Message | Should -Match 'CreateTarget'

        @(Get-Job).Count | Should -Be $jobs
        @(Get-CouchActiveTask -All).Count | Should -Be $tasks
    }

    It 'refuses -AsJob with -NoWait, -Wait or -Server' {
        { Start-CouchReplication "$url/a" "$url/b" -AsJob -Wait -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
        { Start-CouchReplication "$url/a" "$url/b" -AsJob -NoWait -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
        { Start-CouchReplication "$url/a" "$url/b" -AsJob -Server $url -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
    }
}
