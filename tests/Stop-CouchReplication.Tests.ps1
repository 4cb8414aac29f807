# Stop-CouchReplication: stopping this session's replications (-Server mode is in ServerMode.Tests.ps1).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Stop-CouchReplication' {
    BeforeEach {
        $script:source = New-TestSeededDb -Url $url -Count 3
        $script:target = New-TestDbName 'target'
    }
    AfterEach {
        Get-CouchActiveTask | Stop-CouchReplication
    }

    It 'stops tasks piped from Get-CouchActiveTask, with -PassThru, and lists them with -All' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        $stopped = Get-CouchActiveTask -ReplicationId $task.ReplicationId | Stop-CouchReplication -PassThru
        $stopped.State | Should -Be 'Stopped'
        Get-CouchActiveTask -ReplicationId $task.ReplicationId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-CouchActiveTask -All -ReplicationId $task.ReplicationId).State | Should -Be 'Stopped'
    }

    It 'stops a replication given the document that started it' {
        $doc = New-CouchReplicationDoc -Source "$url$source" -Target "$url$target" -CreateTarget -Continuous
        $task = $doc | Start-CouchReplication
        Wait-Running $task
        $doc | Stop-CouchReplication
        $task.State | Should -Be 'Stopped'
    }

    It 'changes nothing with -WhatIf' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        Wait-Running $task
        Stop-CouchReplication -ReplicationId $task.ReplicationId -WhatIf
        $task.State | Should -Be 'Running'
    }

    It 'says what to give when called with nothing, instead of prompting' {
        $err = $null
        Stop-CouchReplication -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.InvalidArgument,CouchReplication.Commands.StopCouchReplicationCommand'
        $err[0].Exception.Message | Should -Match 'ReplicationId'
        @() | Stop-CouchReplication -ErrorAction Stop
    }

    It 'reports an unknown id as CouchReplication.NotFound' {
        $err = $null
        Stop-CouchReplication -ReplicationId 'no-such-replication' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.NotFound,CouchReplication.Commands.StopCouchReplicationCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
