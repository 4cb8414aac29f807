# Get-CouchActiveTask: the replications of this session as a user lists them (-Server mode is in ServerMode.Tests.ps1).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Get-CouchActiveTask' {
    BeforeEach {
        $script:source = New-TestSeededDb -Url $url -Count 3
        $script:target = New-TestDbName 'target'
    }
    AfterEach {
        Get-CouchActiveTask | Stop-CouchReplication
    }

    It 'returns a running CouchReplicationTask at once for -Continuous, listed by Get-CouchActiveTask' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        $task | Should -BeOfType ([CouchReplication.CouchReplicationTask])
        $task.ReplicationId | Should -BeLike '*+continuous+create_target'
        $active = Get-CouchActiveTask -ReplicationId $task.ReplicationId
        $active | Should -BeOfType ([CouchReplication.CouchActiveTask])
        $active.Type | Should -Be 'replication'
        $active.Continuous | Should -BeTrue
        $active.Source | Should -Not -Match 'secret'
        (Get-CouchActiveTask -ReplicationId ($task.ReplicationId.Substring(0, 8) + '*')).ReplicationId | Should -Be $task.ReplicationId
        Wait-Until { (Get-CouchActiveTask -ReplicationId $task.ReplicationId).DocsWritten -ge 3 } -Timeout 30 -Because 'three documents written'
        (Get-CouchActiveTask -ReplicationId $task.ReplicationId).DocsWritten | Should -Be 3
        Assert-NothingLost -Url $url -Source $source -Target $target
    }

    It 'prints tasks as a table that fits 80 columns: database names first, then state, counts and a short id' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        Wait-Running $task
        $authority = ([uri]$url).Authority
        foreach ($width in 80, 120) {
            foreach ($text in ($task | Out-String -Width $width), (Get-CouchActiveTask -ReplicationId $task.ReplicationId | Out-String -Width $width)) {
                $lines = $text -split "`n" | Where-Object { $_.Trim() }
                $lines[0] | Should -Match '^Source\s+Target\s+State\s+Written\s+Pending\s+Id\s*$'
                # Test names are 19 characters, more than an 80-column table gives a column: the start shows.
                $row = $lines | Where-Object { $_.StartsWith($source.Substring(0, 15)) }
                $row | Should -HaveCount 1
                $row.TrimEnd().Length | Should -BeLessOrEqual $width
                $row | Should -Match ('\s' + [regex]::Escape($target.Substring(0, 15)))
                $row | Should -Match ' Running '
                $row | Should -Match ([regex]::Escape($task.ReplicationId.Substring(0, 8)) + '…\s*$')
                $row | Should -Not -Match 'http|\*\*\*|secret'
            }
        }
        ($task | Format-List | Out-String -Width 200) | Should -Match ([regex]::Escape("$authority/$source"))
        $task.DocsWritten | Should -Be (Get-CouchActiveTask -ReplicationId $task.ReplicationId).DocsWritten
    }

    It 'completes -ReplicationId with the session''s task ids and -Type with known task types' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        foreach ($line in "Get-CouchActiveTask -ReplicationId $($task.ReplicationId.Substring(0, 6))", "Stop-CouchReplication -ReplicationId ") {
            $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $completion.CompletionMatches.CompletionText | Should -Contain $task.ReplicationId
        }
        $line = 'Get-CouchActiveTask -Type ind'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('indexer')
    }
}
