# Pester 5 suites for -Server mode: the cmdlets driving a server's own replicator, as a user calls
# them, against pouchdb-server (no _scheduler) and, where it is installed, Apache CouchDB.
BeforeDiscovery {
    # COUCH_TEST_URL, when set, is the one server under test, as in the xunit suites.
    $script:onCouchDb = -not $env:COUCH_TEST_URL -and (Test-Path '/opt/couchdb/bin/couchdb')
    $script:withoutScheduler = -not $env:COUCH_TEST_URL -or
        (Invoke-RestMethod -Uri $env:COUCH_TEST_URL -Headers @{ Accept = 'application/json' } -TimeoutSec 30).features -notcontains 'scheduler'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
}

Describe '-Server mode on pouchdb-server' {
    BeforeAll {
        $script:server = Start-TestCouchServer
        $script:url = $server.Url
        $script:plainUrl = $url -replace '//[^@]+@', '//'
        $script:admin = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
    }
    AfterAll {
        Stop-TestCouchServer $server
    }

    Context 'Start-CouchReplication -Server' {
        It 'runs a one-shot replication on the server and returns its answer, narrating it without passwords' {
            $source = New-TestSeededDb -Url $url -Count 5
            $target = New-TestDbName 'target'
            $out = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Server $url -Verbose -Debug 4>&1 5>&1
            $result = $out | Where-Object { $_ -is [CouchReplication.CouchReplicationResult] }
            $result.Ok | Should -BeTrue
            $result.DocsWritten | Should -Be 5
            (Invoke-TestCouch -Url $url -Path $target).doc_count | Should -Be 5
            Assert-NothingLost -Url $url -Source $source -Target $target -Failures $result.Failures
            $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
            $verbose | Should -Match 'POST http://admin:\*{5}@127\.0\.0\.1:\d+/_replicate'
            # -Debug: each request to the server and its answer.
            $debug = ($out | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message -join "`n"
            $debug | Should -Match 'POST http://admin:\*{5}@127\.0\.0\.1:\d+/_replicate: 200 OK after \d+ ms'
            ($out | Out-String) + $verbose + $debug | Should -Not -Match 'secret'
        }

        It 'takes the server''s credentials as -Credential and the endpoints'' in the document' {
            $source = New-TestSeededDb -Url $url -Count 2
            $result = Start-CouchReplication "$plainUrl$source" "$plainUrl$(New-TestDbName 'target')" -CreateTarget `
                -SourceCredential $admin -TargetCredential $admin -Server $plainUrl -Credential $admin
            $result.DocsWritten | Should -Be 2
        }

        It 'writes a persistent replication into _replicator under -Id and reports its state at once' {
            $source = New-TestSeededDb -Url $url -Count 3
            $target = New-TestDbName 'target'
            $id = New-TestDbName 'persistent'
            $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous -Server $url -Persistent -Id $id
            $task | Should -BeOfType ([CouchReplication.CouchActiveTask])
            $task.DocId | Should -Be $id
            $task.State | Should -BeIn 'Pending', 'Running'
            # How the help says to wait for it.
            Wait-Until { (Get-CouchActiveTask -Server $url -ReplicationId $id 3>$null).State -eq 'Running' } -Timeout 60 -Because 'the replication running'
            $task.Source | Should -Not -Match 'secret'
            (Invoke-TestCouch -Url $url -Path "_replicator/$id")._id | Should -Be $id
            Wait-Until { (Get-TestCouchStatus -Url $url -Path "$target/doc-2") -eq 200 } -Timeout 60 -Because 'the documents in the target'
        }

        It 'changes nothing with -WhatIf' {
            $source = New-TestSeededDb -Url $url -Count 1
            $target = New-TestDbName 'target'
            $id = New-TestDbName 'whatif'
            Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Server $url -WhatIf | Should -BeNullOrEmpty
            Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Server $url -Persistent -Id $id -WhatIf | Should -BeNullOrEmpty
            Get-TestCouchStatus -Url $url -Path $target | Should -Be 404
            Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
        }

        It 'refuses <Case> with CouchReplication.InvalidArgument' -ForEach @(
            @{ Case = '-Persistent without -Server'; Arguments = @{ Persistent = $true } }
            @{ Case = '-NoWait with -Server'; Arguments = @{ Server = 'http://127.0.0.1:1/'; NoWait = $true } }
            @{ Case = 'a server URL that is not http'; Arguments = @{ Server = 'ftp://admin:hidden@127.0.0.1/' } }
        ) {
            $err = $null
            Start-CouchReplication http://127.0.0.1:1/a http://127.0.0.1:1/b @Arguments -ErrorVariable err -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.InvalidArgument,CouchReplication.Commands.StartCouchReplicationCommand'
            ($err | Out-String) | Should -Not -Match 'hidden'
        }

        It 'fails a wrong server password with CouchReplication.Unauthorized and shows no password' {
            $source = New-TestSeededDb -Url $url -Count 1
            $wrong = $url -replace ':secret@', ':wrong-password@'
            $err = $null
            $out = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Server $wrong `
                -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1
            $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.Unauthorized,CouchReplication.Commands.StartCouchReplicationCommand'
            $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            ($err | Out-String) + ($out | Out-String) + $err[0].TargetObject | Should -Not -Match 'wrong-password|secret'
        }

        It 'warns that a continuous replication the server names no id for cannot be stopped' -Skip:(-not $withoutScheduler) {
            $source = New-TestSeededDb -Url $url -Count 1
            $task = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $url `
                -WarningVariable warnings 3>$null
            $task.ReplicationId | Should -BeNullOrEmpty
            $warnings -join "`n" | Should -Match 'cannot be listed or cancelled'
        }
    }

    Context 'Get-CouchActiveTask -Server and Stop-CouchReplication -Server' {
        BeforeEach {
            $script:source = New-TestSeededDb -Url $url -Count 2
            $script:id = New-TestDbName 'rep'
            Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $url -Persistent -Id $id | Out-Null
        }

        It 'lists the server''s replications as CouchActiveTask objects, by document id and type, each naming its server' -Skip:(-not $withoutScheduler) {
            $listed = Get-CouchActiveTask -Server $url -ReplicationId $id 3>$null
            $listed | Should -BeOfType ([CouchReplication.CouchActiveTask])
            $listed.DocId | Should -Be $id
            $listed.State | Should -Be 'Running'
            $listed.Database | Should -Be '_replicator'
            $listed.Server | Should -Be $plainUrl
            Get-CouchActiveTask -Server $url -Type indexer -ReplicationId 'rep-*' 3>$null | Should -BeNullOrEmpty
            (Get-CouchActiveTask -Server $url -Type repl* -ReplicationId 'rep-*' 3>$null).DocId | Should -Contain $id
        }

        It 'says once per session and server that the server has no _scheduler, not on every call' -Skip:(-not $withoutScheduler) {
            $module = Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1'
            $script = "Import-Module '$module'; 1..3 | ForEach-Object { Get-CouchActiveTask -Server '$url' | Out-Null }"
            Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1')
            $out = & (Get-TestPwsh) -NoProfile -NonInteractive -Command "$script 3>&1 | ForEach-Object { 'WARNING: ' + `$_ }"
            $LASTEXITCODE | Should -Be 0
            $warnings = @($out | Where-Object { $_ -like 'WARNING: *' })
            $warnings | Should -HaveCount 1
            $warnings[0] | Should -Match 'no _scheduler'
            $warnings[0] | Should -Not -Match 'secret'
        }

        It 'stops what Get-CouchActiveTask -Server pipes to it without -Server again: the task remembers its server and credential' {
            $listed = Get-CouchActiveTask -Server $plainUrl -Credential $admin -ReplicationId $id 3>$null
            $listed.Server | Should -Be $plainUrl
            ($listed | Format-List * | Out-String) + ($listed | ConvertTo-Json) | Should -Not -Match 'secret'
            $stopped = $listed | Stop-CouchReplication -PassThru 3>$null
            $stopped.State | Should -Be 'Stopped'
            $stopped.Server | Should -Be $plainUrl
            Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
        }

        It 'reads persistent replications back as documents with their state, ready to write to another server' {
            $doc = Get-CouchReplicationDoc -Server $plainUrl -Credential $admin -Id $id
            $doc | Should -BeOfType ([CouchReplication.CouchReplicationDoc])
            $doc.Id | Should -Be $id
            $doc.State | Should -Be 'Running'
            $doc.Continuous | Should -BeTrue
            $doc.Source | Should -Be "$plainUrl$source"
            $json = $doc.ToJson()
            $json | Should -Not -Match '_rev|_replication_|owner|secret'
            ($doc | Format-List | Out-String) | Should -Match 'State\s*: Running'
            (Get-CouchReplicationDoc -Server $url 'nothing-*').Count | Should -Be 0
            $err = $null
            Get-CouchReplicationDoc -Server $url 'no-such-doc' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.NotFound,CouchReplication.Commands.GetCouchReplicationDocCommand'

            # Written again under another id, to another target (the same replication twice is one to a
            # server), it replicates as the original does.
            $copy = New-TestDbName 'rep'
            $copyTarget = New-TestDbName 'target'
            $reapplied = $json | ConvertFrom-Json | ForEach-Object { $_._id = $copy; $_.target.url = "$plainUrl$copyTarget"; $_ } |
                Start-CouchReplication -Server $url -Persistent -SourceCredential $admin -TargetCredential $admin 3>$null
            $reapplied.DocId | Should -Be $copy
            Wait-Until { (Get-CouchReplicationDoc -Server $url -Id $copy).State -eq 'Running' } -Timeout 30 -Because 'the copy running'
            Wait-Until { (Invoke-TestCouch -Url $url -Path $copyTarget).doc_count -eq 2 } -Timeout 30 -Because 'the copy replicating'
            Stop-CouchReplication -Server $url -ReplicationId $copy 3>$null
            Assert-NothingLost -Url $url -Source $source -Target $copyTarget
        }

        It 'lists finished persistent replications with -All only' {
            $done = New-TestDbName 'done'
            Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Server $url -Persistent -Id $done 3>$null | Out-Null
            Wait-Until { (Get-CouchActiveTask -Server $url -All -ReplicationId $done 3>$null).State -eq 'Completed' } -Timeout 60 -Because 'the replication completed'
            Get-CouchActiveTask -Server $url -ReplicationId $done -ErrorAction SilentlyContinue 3>$null | Should -BeNullOrEmpty
        }

        It 'stops what Get-CouchActiveTask -Server pipes to it, by deleting the _replicator document' {
            $stopped = Get-CouchActiveTask -Server $url -ReplicationId $id 3>$null | Stop-CouchReplication -Server $url -PassThru 3>$null
            $stopped.State | Should -Be 'Stopped'
            $stopped.DocId | Should -Be $id
            Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
        }

        It 'stops a persistent replication by its document id, and the object Start returned' {
            Stop-CouchReplication -Server $url -ReplicationId $id 3>$null
            Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
            $other = New-TestDbName 'rep'
            $started = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $url -Persistent -Id $other
            $started | Stop-CouchReplication -Server $url
            Get-TestCouchStatus -Url $url -Path "_replicator/$other" | Should -Be 404
        }

        It 'changes nothing with -WhatIf' {
            Stop-CouchReplication -Server $url -ReplicationId $id -WhatIf 3>$null
            Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 200
        }

        It 'says CouchReplication.NotSupported for a cancel the server answers ok but ignores' -Skip:(-not $withoutScheduler) {
            $doc = New-CouchReplicationDoc -Source "$url$source" -Target "$url$(New-TestDbName 'target')" -CreateTarget -Continuous
            $doc | Start-CouchReplication -Server $url 3>$null | Out-Null
            $err = $null
            $doc | Stop-CouchReplication -Server $url -PassThru -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.NotSupported,CouchReplication.Commands.StopCouchReplicationCommand'
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            $err[0].Exception.Message | Should -Match 'still running'
        }

        It 'reports an unknown id on the server as CouchReplication.NotFound' {
            $err = $null
            Stop-CouchReplication -Server $url -ReplicationId 'no-such-replication' -ErrorVariable err -ErrorAction SilentlyContinue 3>$null
            $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.NotFound,CouchReplication.Commands.StopCouchReplicationCommand'
            $err[0].Exception.Message | Should -Not -Match 'secret'
        }

        AfterEach {
            if ((Get-TestCouchStatus -Url $url -Path "_replicator/$id") -eq 200) { Stop-CouchReplication -Server $url -ReplicationId $id 3>$null }
        }
    }
}

Describe '-Server mode on Apache CouchDB' -Skip:(-not $onCouchDb) {
    BeforeAll {
        $script:couch = Start-TestCouchDb
        $script:url = $couch.Url
    }
    AfterAll {
        Stop-TestCouchServer $couch
    }

    It 'starts a continuous replication with the server''s replication id and stops it through the pipeline' {
        $source = New-TestSeededDb -Url $url -Count 3
        $task = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $url
        $task | Should -BeOfType ([CouchReplication.CouchActiveTask])
        $task.ReplicationId | Should -Match '^[0-9a-f]{32}\+continuous\+create_target$'
        Wait-Until { (Get-CouchActiveTask -Server $url -ReplicationId $task.ReplicationId).DocsWritten -eq 3 } -Timeout 60 -Because 'three documents written'
        (Get-CouchActiveTask -Server $url -ReplicationId "$($task.ReplicationId.Substring(0, 8))*" -Type replication).User | Should -Be 'admin'
        # The listed task remembers its server: no -Server on Stop-CouchReplication.
        $stopped = Get-CouchActiveTask -Server $url -ReplicationId $task.ReplicationId | Stop-CouchReplication -PassThru
        $stopped.State | Should -Be 'Stopped'
        $stopped.Server | Should -Be ($url -replace '//[^@]+@', '//')
        Get-CouchActiveTask -Server $url -All -ReplicationId $task.ReplicationId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'returns a persistent replication at once, shows its DocId and Node in the table, and the server URL as given' {
        $source = New-TestSeededDb -Url $url -Count 1
        $id = New-TestDbName 'rep'
        $plain = $url -replace '//[^@]+@', '//'
        $admin = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $out = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $plain -Credential $admin `
            -Persistent -Id $id -Verbose 4>&1
        $task = $out | Where-Object { $_ -is [CouchReplication.CouchActiveTask] }
        $task.DocId | Should -Be $id
        $task.State | Should -BeIn 'Pending', 'Running'
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match ([regex]::Escape("PUT $($plain)_replicator/$id"))
        # The server URL as given, without the -Credential's user (the endpoints carry theirs, masked).
        $verbose | Should -Match ([regex]::Escape("$plain is CouchDB"))
        Wait-Until { ($script:listed = Get-CouchActiveTask -Server $plain -Credential $admin -ReplicationId $id).State -eq 'Running' } -Timeout 60 -Because 'the replication running'
        $listed.Node | Should -Match '^couchtest\d+@127\.0\.0\.1$'
        $listed.Nodes | Should -Be @($listed.Node)
        $table = $listed | Out-String -Width 80
        $table | Should -Match 'State\s+Written\s+DocId\s+Node'
        $table | Should -Match 'couchtest'
        Stop-CouchReplication -Server $plain -Credential $admin -ReplicationId $id
    }

    It 'reads persistent replications back as documents with the scheduler''s state' {
        $source = New-TestSeededDb -Url $url -Count 2
        $id = New-TestDbName 'rep'
        Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $url -Persistent -Id $id | Out-Null
        Wait-Until { (Get-CouchReplicationDoc -Server $url -Id $id).State -eq 'Running' } -Timeout 60 -Because 'the scheduler running the document'
        $doc = Get-CouchReplicationDoc -Server $url -Id $id
        $doc.ToJson() | Should -Not -Match '_rev|_replication_|"owner"'
        $doc.CreateTarget | Should -BeTrue
        Get-CouchReplicationDoc -Server $url -Id $id | Stop-CouchReplication -Server $url -WhatIf
        Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 200
        # A document read back from the server is a persistent replication: stopping it deletes the document.
        Get-CouchReplicationDoc -Server $url -Id $id | Stop-CouchReplication -Server $url
        Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
        Get-CouchReplicationDoc -Server $url -Id $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'cancels a replication given the document that started it' {
        $source = New-TestSeededDb -Url $url -Count 1
        $doc = New-CouchReplicationDoc -Source "$url$source" -Target "$url$(New-TestDbName 'target')" -CreateTarget -Continuous
        $task = $doc | Start-CouchReplication -Server $url
        ($doc | Stop-CouchReplication -Server $url -PassThru).ReplicationId | Should -Be $task.ReplicationId
        Get-CouchActiveTask -Server $url -All -ReplicationId $task.ReplicationId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'cancels a one-shot replication on the server when the wait for it is stopped (Ctrl+C)' {
        $total = 5000
        $source = New-TestSeededDb -Url $url -Count $total
        $target = New-TestDbName 'target'
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($Module, $Server, $Source, $Target)
            Import-Module $Module
            Start-CouchReplication $Source $Target -CreateTarget -WorkerBatchSize 5 -WorkerProcesses 1 -Server $Server
        }).AddArgument((Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1')).AddArgument($url).AddArgument("$url$source").AddArgument("$url$target")
        $handle = $ps.BeginInvoke()
        try {
            Wait-Until { ($script:job = Get-CouchActiveTask -Server $url -Type replication | Where-Object Target -Like "*$target*") } -Timeout 60 -Because 'the one-shot job on the server'
            $handle.IsCompleted | Should -BeFalse
            $ps.Stop()
            Get-CouchActiveTask -Server $url -All -ReplicationId $script:job.ReplicationId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            (Invoke-TestCouch -Url $url -Path $target).doc_count | Should -BeLessThan $total
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'shows a failing persistent replication as Crashing with the reason' {
        $id = New-TestDbName 'failing'
        Start-CouchReplication "$url$(New-TestDbName 'absent')" "$url$(New-TestDbName 'target')" -Server $url -Persistent -Id $id | Out-Null
        Wait-Until { (Get-CouchActiveTask -Server $url -ReplicationId $id).State -eq 'Crashing' } -Timeout 60 -Because 'the replication crashing'
        (Get-CouchActiveTask -Server $url -ReplicationId $id).Error | Should -Match 'db_not_found'
        Stop-CouchReplication -Server $url -ReplicationId $id
        Get-TestCouchStatus -Url $url -Path "_replicator/$id" | Should -Be 404
    }

    It 'gives the same ErrorRecords as the engine: <Case>' -ForEach @(
        @{ Case = 'a missing source'; Source = 'absent'; ErrorId = 'CouchReplication.DbNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a wrong source password'; Source = 'wrong-password'; ErrorId = 'CouchReplication.Unauthorized'; Category = 'AuthenticationError' }
    ) {
        $existing = New-TestSeededDb -Url $url -Count 1
        $sourceUrl = if ($Source -eq 'absent') { "$url$(New-TestDbName 'absent')" } else { ($url -replace ':secret@', ':not-it@') + $existing }
        $err = $null
        Start-CouchReplication $sourceUrl "$url$(New-TestDbName 'target')" -CreateTarget -Server $url -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "$ErrorId,CouchReplication.Commands.StartCouchReplicationCommand"
        $err[0].CategoryInfo.Category | Should -Be $Category
        ($err | Out-String) | Should -Not -Match 'secret|not-it'
    }

    It 'is Forbidden for a user who is no admin to write a persistent replication' {
        Invoke-TestCouch -Url $url -Path '_users/org.couchdb.user:pester' -Method PUT -Body @{ name = 'pester'; password = 'pw'; roles = @(); type = 'user' } | Out-Null
        $user = [pscredential]::new('pester', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        $plain = $url -replace '//[^@]+@', '//'
        $err = $null
        Start-CouchReplication "${url}a" "${url}b" -Server $plain -Credential $user -Persistent -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.Forbidden,CouchReplication.Commands.StartCouchReplicationCommand'
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
    }
}

Describe '-Server mode on a CouchDB cluster' -Skip:(-not $onCouchDb) {
    BeforeAll {
        $script:cluster = Start-TestCouchDbCluster
        $script:first = $cluster.Nodes[0].url
        $script:other = $cluster.Nodes[2].url
    }
    AfterAll {
        Stop-TestCouchServer $cluster
    }

    It 'lists replications started through one node through another, each with the node that runs it, and stops them all through a pipeline' {
        $source = New-TestSeededDb -Url $first -Count 2
        $ids = 1..4 | ForEach-Object { New-TestDbName 'rep' }
        foreach ($id in $ids) {
            $started = Start-CouchReplication "$first$source" "$first$(New-TestDbName 'target')" -CreateTarget -Continuous -Server $first -Persistent -Id $id
            $started.DocId | Should -Be $id
        }
        # Listed from _replicator itself (whose copy on another node may lag a write by a moment), running once the cluster has given each a job.
        Wait-Until { @(Get-CouchActiveTask -Server $other | Where-Object DocId -in $ids).Count -eq $ids.Count } -Timeout 30 -Because 'every replication listed'
        Wait-Until { @(Get-CouchActiveTask -Server $other | Where-Object { $_.DocId -in $ids -and $_.State -eq 'Running' }).Count -eq $ids.Count } `
            -Timeout 90 -Because 'every replication running'
        $listed = Get-CouchActiveTask -Server $other | Where-Object DocId -in $ids
        $listed.Node | Should -BeIn $cluster.Nodes.name
        ($listed | Out-String -Width 80) | Should -Match 'couchtest'
        $stopped = $listed | Stop-CouchReplication -PassThru
        $stopped.State | Should -Be (@('Stopped') * $ids.Count)
        foreach ($id in $ids) { Get-TestCouchStatus -Url $first -Path "_replicator/$id" | Should -Be 404 }
        # The scheduler ends a job shortly after its document is deleted.
        Wait-Until { -not (Get-CouchActiveTask -Server $first -All | Where-Object DocId -in $ids) } -Timeout 60 -Because 'no replication left'
    }
}
