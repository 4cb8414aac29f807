# Set-CouchReplicationOption and Get-CouchReplicationOption: the session's scheduling (MaxJobs, MaxRestarts, Pending tasks).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Scheduling: Set-CouchReplicationOption, Pending tasks' {
    AfterAll {
        Get-CouchActiveTask | Stop-CouchReplication
        Set-CouchReplicationOption -MaxJobs 20 -MaxRestarts 5
    }

    It 'shows and changes MaxJobs, and refuses less than one' {
        (Get-CouchReplicationOption).MaxJobs | Should -Be 20
        (Set-CouchReplicationOption -MaxJobs 3 -PassThru).MaxJobs | Should -Be 3
        (Get-CouchReplicationOption).MaxJobs | Should -Be 3
        { Set-CouchReplicationOption -MaxJobs 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,CouchReplication.Commands.SetCouchReplicationOptionCommand'
        Set-CouchReplicationOption -MaxJobs 2 -WhatIf
        (Get-CouchReplicationOption).MaxJobs | Should -Be 3
    }

    It 'shows and changes MaxRestarts, and a one-shot replication crashes that many times before it is Failed' {
        (Get-CouchReplicationOption).MaxRestarts | Should -Be 5
        { Set-CouchReplicationOption -MaxRestarts -1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,CouchReplication.Commands.SetCouchReplicationOptionCommand'
        Set-CouchReplicationOption -MaxRestarts 0 -WhatIf
        (Get-CouchReplicationOption).MaxRestarts | Should -Be 5
        # Nothing listens on port 1: connection refused is transient, a crash.
        $unreachable = 'http://127.0.0.1:1/nowhere'

        # Waited for, not sent to the background: a background start would check the ends first and refuse it.
        (Set-CouchReplicationOption -MaxRestarts 0 -PassThru).MaxRestarts | Should -Be 0
        $warnings = $errors = $null
        Start-CouchReplication $unreachable "$url$(New-TestDbName 'target')" -RetriesPerRequest 0 -WarningVariable warnings -ErrorVariable errors -ErrorAction SilentlyContinue 3>$null
        @($warnings | Where-Object { "$_" -match 'crashed' }) | Should -HaveCount 0
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.Unreachable,*'
        (Get-CouchActiveTask -All | Select-Object -Last 1).State | Should -Be 'Failed'

        Set-CouchReplicationOption -MaxRestarts 1
        $warnings = $errors = $null
        Start-CouchReplication $unreachable "$url$(New-TestDbName 'target')" -RetriesPerRequest 0 -WarningVariable warnings -ErrorVariable errors -ErrorAction SilentlyContinue 3>$null
        @($warnings | Where-Object { "$_" -match 'crashed .*connection refused.*restarting' }) | Should -HaveCount 1
        $errors | Should -HaveCount 1
        $last = Get-CouchActiveTask -All | Select-Object -Last 1
        $last.State | Should -Be 'Failed'
        $last.Error | Should -Match 'connection refused'
    }

    It 'queues replications beyond MaxJobs as Pending with their place, stops one before it starts, and runs the rest' {
        Set-CouchReplicationOption -MaxJobs 1
        # A continuous replication holds the only turn until its feed has been idle for a heartbeat.
        $first = Start-CouchReplication "$url$(New-TestSeededDb -Url $url -Count 3)" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous
        $sources = 1..2 | ForEach-Object { New-TestSeededDb -Url $url -Count 4 }
        $targets = 1..2 | ForEach-Object { New-TestDbName 'target' }
        $queued = 0..1 | ForEach-Object { Start-CouchReplication "$url$($sources[$_])" "$url$($targets[$_])" -CreateTarget -NoWait }

        $listed = Get-CouchActiveTask | Where-Object ReplicationId -in $queued.ReplicationId | Sort-Object QueuePosition
        $listed.State | Should -Be @('Pending', 'Pending')
        $listed.QueuePosition | Should -Be @(1, 2)
        ($listed | Format-Table | Out-String) | Should -Match 'Pending #2'
        (Get-CouchReplicationOption).Pending | Should -Be 2

        $queued[1] | Stop-CouchReplication
        $queued[1].State | Should -Be 'Stopped'
        Get-TestCouchStatus -Url $url -Path $targets[1] | Should -Be 404

        $queued[0].Completion.Wait(60000) | Should -BeTrue
        $queued[0].State | Should -Be 'Completed'
        Assert-NothingLost -Url $url -Source $sources[0] -Target $targets[0]
        $first | Stop-CouchReplication
    }
}
