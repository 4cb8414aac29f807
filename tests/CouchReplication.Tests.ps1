# Pester 5 suites: the cmdlets as a user calls them, in real pwsh, against a real server.
BeforeAll {
    $modulePath = Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1'
    Import-Module $modulePath -Force
    $testServerModule = Join-Path $PSScriptRoot 'helpers/TestServer.psm1'
    Import-Module $testServerModule -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url

    function New-SeededDb([int] $Count = 10) { New-TestSeededDb -Url $url -Count $Count }

    # Runs $Script with the module in a new runspace, where progress records are kept (this host's are not).
    function Invoke-WithProgress([scriptblock] $Script, [object[]] $Arguments) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddArgument($modulePath).AddStatement().AddScript($Script)
            foreach ($argument in $Arguments) { $null = $ps.AddArgument($argument) }
            $output = $ps.Invoke()
            [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress) }
        }
        finally {
            $ps.Dispose()
        }
    }
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'New-CouchReplicationDoc' {
    It 'returns a CouchReplicationDoc whose ToJson has CouchDB field names' {
        $doc = New-CouchReplicationDoc -Source http://127.0.0.1:5984/a -Target http://127.0.0.1:5984/b -CreateTarget -WorkerBatchSize 100 -DocIds x, y
        $doc | Should -BeOfType ([CouchReplication.CouchReplicationDoc])
        $json = $doc.ToJson() | ConvertFrom-Json
        $json.create_target | Should -BeTrue
        $json.worker_batch_size | Should -Be 100
        $json.doc_ids | Should -Be @('x', 'y')
        $json.PSObject.Properties.Name | Should -Not -Contain 'continuous'
    }

    It 'masks passwords in what it shows' {
        $doc = New-CouchReplicationDoc -Source 'http://ann:topsecret@127.0.0.1:5984/a' -Target http://127.0.0.1:5984/b
        $doc.Source | Should -Be 'http://127.0.0.1:5984/a'
        $doc.SourceCredential.UserName | Should -Be 'ann'
        ($doc | Format-List | Out-String) | Should -Not -Match 'topsecret'
        $doc.ToJson() | Should -Not -Match 'topsecret'
    }

    It 'takes a selector as a hashtable or as JSON text' {
        (New-CouchReplicationDoc -Source http://h/a -Target http://h/b -Selector @{ type = 'order' }).Selector['type'] | Should -Be 'order'
        (New-CouchReplicationDoc -Source http://h/a -Target http://h/b -Selector '{"type":"order"}').Selector['type'] | Should -Be 'order'
    }

    It 'refuses <Case> with an InvalidArgument error naming the field' -ForEach @(
        @{ Case = 'a URL without a database'; Arguments = @{ Source = 'http://h/'; Target = 'http://h/b' }; Field = 'source' }
        @{ Case = 'two filters'; Arguments = @{ Source = 'http://h/a'; Target = 'http://h/b'; DocIds = 'x'; Filter = 'app/f' }; Field = 'doc_ids and filter' }
        @{ Case = 'a negative batch size'; Arguments = @{ Source = 'http://h/a'; Target = 'http://h/b'; WorkerBatchSize = -1 }; Field = 'worker_batch_size' }
    ) {
        $err = $null
        New-CouchReplicationDoc @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.InvalidArgument,CouchReplication.Commands.NewCouchReplicationDocCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike "$Field*"
    }
}

Describe 'Start-CouchReplication' {
    It 'replicates and returns a CouchReplicationResult; a second run has no changes' {
        $source = New-SeededDb 25
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
        $source = New-SeededDb 5
        $target = New-TestDbName 'target'
        $result = New-CouchReplicationDoc -Source "$url$source" -Target "$url$target" -CreateTarget | Start-CouchReplication
        $result.DocsWritten | Should -Be 5
        Assert-NothingLost -Url $url -Source $source -Target $target -Failures $result.Failures
    }

    It 'takes ConvertFrom-Json output and hashtables through the pipeline' {
        $source = New-SeededDb 3
        $fromJson, $fromHashtable = (New-TestDbName 'target'), (New-TestDbName 'target')
        $json = @{ source = "$url$source"; target = "$url$fromJson"; create_target = $true } | ConvertTo-Json
        ($json | ConvertFrom-Json | Start-CouchReplication).DocsWritten | Should -Be 3
        (@{ source = "$url$source"; target = "$url$fromHashtable"; create_target = $true } | Start-CouchReplication).DocsWritten | Should -Be 3
        Assert-NothingLost -Url $url -Source $source -Target $fromJson
        Assert-NothingLost -Url $url -Source $source -Target $fromHashtable
    }

    It 'keeps and warns about fields it does not know in a document from JSON' {
        $source = New-SeededDb 1
        $json = @{ source = "$url$source"; target = "$url$(New-TestDbName 'target')"; create_target = $true; colour = 'blue'; owner = 'ann'; _replication_state = 'completed' } | ConvertTo-Json
        $result = $json | ConvertFrom-Json | Start-CouchReplication -WarningVariable warnings 3>$null
        $result.DocsWritten | Should -Be 1
        $warnings | Should -Match "Unknown replication document field 'colour'"
        $warnings | Should -Not -Match "'owner'|'_replication_state'"
    }

    It 'gives results that survive ConvertTo-Json and Export-Csv with every field' {
        $source = New-SeededDb 4
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
        $source = New-SeededDb 50
        $target = New-TestDbName 'target'
        $run = Invoke-WithProgress { param($Source, $Target) Start-CouchReplication $Source $Target -CreateTarget } "$url$source", "$url$target"
        $run.Output.DocsWritten | Should -Be 50
        $run.Progress.Count | Should -BeGreaterThan 0
        $authority = ([uri]$url).Authority
        $run.Progress[0].Activity | Should -Be "$authority/$source -> $authority/$target"
        $run.Progress[-1].RecordType | Should -Be 'Completed'
    }

    It 'takes credentials as PSCredential' {
        $source = New-SeededDb 2
        $plainUrl = $url -replace '//[^@]+@', '//'
        $credential = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $result = Start-CouchReplication "$plainUrl$source" "$plainUrl$(New-TestDbName 'target')" -CreateTarget -SourceCredential $credential -TargetCredential $credential
        $result.DocsWritten | Should -Be 2
    }

    It 'writes nothing with -WhatIf' {
        $source = New-SeededDb 2
        $target = New-TestDbName 'target'
        Start-CouchReplication "$url$source" "$url$target" -CreateTarget -WhatIf | Should -BeNullOrEmpty
        Get-TestCouchStatus -Url $url -Path $target | Should -Be 404
    }

    It 'fails a wrong password with CouchReplication.Unauthorized, creates nothing and shows no password' {
        $source = New-SeededDb 2
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
        $source = New-SeededDb 1
        $err = $null
        Start-CouchReplication "$url$source" "$url$(New-TestDbName 'absent')" -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.DbNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'narrates the protocol under -Verbose without credentials' {
        $source = New-SeededDb 3
        $verbose = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match '_changes since 0'
        ($verbose.Message -join "`n") | Should -Match 'Checkpoint at'
        ($verbose.Message -join "`n") | Should -Not -Match 'secret'
    }

    It 'narrates under -Debug alone without asking to continue: the verbose lines come as debug lines' {
        # PowerShell makes a compiled cmdlet's verbose lines Inquire under -Debug alone; this pwsh is
        # NonInteractive, so a prompt would be an error here.
        $source = New-SeededDb 3
        $everything = @(& { Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Debug } *>&1)
        $everything | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Should -BeNullOrEmpty
        $debug = @($everything | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        @($debug -match '^Created the target database').Count | Should -Be 1
        @($debug -match '/_bulk_docs: 201 Created after').Count | Should -BeGreaterThan 0
        ($everything | Where-Object { $_ -is [CouchReplication.CouchReplicationResult] }).DocsWritten | Should -Be 3
    }
}

Describe 'A database file (backup and restore)' {
    It 'backs a database up into a file at a path relative to the current location, restores it, and compares equal' {
        $source = New-SeededDb 12
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
        $source = New-SeededDb 3
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
        $source = New-SeededDb 1
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

Describe 'Add-CouchDocument' {
    It 'seeds a database file without a server from hashtables, objects and JSON text, which replicates to a server complete' {
        Push-Location TestDrive:/
        try {
            1..30 | ForEach-Object { @{ _id = 'order-{0:D2}' -f $_; total = $_ * 3 } } | Add-CouchDocument ./seeded.couchdb -CreateDatabase | Should -BeNullOrEmpty
            $written = @([pscustomobject]@{ _id = 'from-csv'; total = '12' }, '{"_id": "from-json", "lines": [1, 2]}' | Add-CouchDocument ./seeded.couchdb -PassThru)
            $written.Count | Should -Be 2
            $written[0] | Should -BeOfType ([CouchReplication.CouchDocumentWrite])
            $written.Id | Should -Be @('from-csv', 'from-json')
            $written | ForEach-Object { $_.Rev | Should -Match '^1-[0-9a-f]{32}$' }
            $written[0].Database | Should -Be (Join-Path (Get-PSDrive TestDrive).Root 'seeded.couchdb')

            $restored = New-TestDbName 'seeded'
            $result = Start-CouchReplication ./seeded.couchdb "$url$restored" -CreateTarget
            $result.DocsWritten | Should -Be 32
            (Compare-CouchDatabase ./seeded.couchdb "$url$restored" -Deep -Both -Quiet) | Should -BeTrue
            $copy = New-TestDbName 'seeded-copy'
            $again = Start-CouchReplication "$url$restored" "$url$copy" -CreateTarget
            Assert-NothingLost -Url $url -Source $restored -Target $copy -Failures $again.Failures
            (Invoke-TestCouch -Url $url -Path "$restored/from-json").lines | Should -Be @(1, 2)
        }
        finally {
            Pop-Location
        }
    }

    It 'updates with _rev, refuses a conflict as a non-terminating error naming the document, and writes the others' {
        $db = New-TestDbName 'edits'
        $first = Add-CouchDocument "$url$db" @{ _id = 'limits'; max = 10 } -CreateDatabase -PassThru
        $second = Add-CouchDocument "$url$db" @{ _id = 'limits'; _rev = $first.Rev; max = 20 } -PassThru
        $second.Rev | Should -Match '^2-'
        $err = $null
        $out = @(@{ _id = 'limits'; max = 30 }, @{ _id = 'other' } | Add-CouchDocument "$url$db" -PassThru -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Id | Should -Be 'other'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.Conflict,CouchReplication.Commands.AddCouchDocumentCommand'
        $err[0].TargetObject | Should -Be 'limits'
        "$err" | Should -Match "refused document 'limits': conflict"
        "$err" | Should -Not -Match 'secret'
        (Invoke-TestCouch -Url $url -Path "$db/limits").max | Should -Be 20
    }

    It 'stops on a missing database without -CreateDatabase, writes nothing under -WhatIf, and refuses what is not a document' {
        $missing = Join-Path (Get-PSDrive TestDrive).Root 'absent.couchdb'
        { @{ _id = 'x' } | Add-CouchDocument $missing -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.DbNotFound,CouchReplication.Commands.AddCouchDocumentCommand'
        Test-Path $missing | Should -BeFalse
        @{ _id = 'x' } | Add-CouchDocument $missing -CreateDatabase -WhatIf
        Test-Path $missing | Should -BeFalse
        $err = $null
        42, '[1]', 'not json' | Add-CouchDocument $missing -CreateDatabase -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 3
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'CouchReplication.InvalidArgument,CouchReplication.Commands.AddCouchDocumentCommand' }
        $credential = [pscredential]::new('ann', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        { @{ _id = 'x' } | Add-CouchDocument $missing -Credential $credential -ErrorAction Stop } | Should -Throw -ErrorId 'CouchReplication.InvalidArgument,CouchReplication.Commands.AddCouchDocumentCommand'
    }
}

Describe 'The demo (build.ps1 Demo), as the quick start runs it' {
    It 'seeds, replicates, follows and compares database files without any server' {
        $output = (& (Get-TestPwsh) -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../build.ps1') Demo -NoBuild *>&1 | Out-String) -replace '\x1b\[[0-9;]*m'
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match 'DocsWritten\s*:\s*2000'
        $output | Should -Match 'NoChanges\s*:\s*True'
        $output | Should -Match 'Stopped\s+2001'
        $output | Should -Match 'Identical\s*:\s*True'
        $output | Should -Not -Match 'http://'
    }
}

Describe 'Compare-CouchDatabase' {
    BeforeAll {
        # A source of 20 documents, its complete copy, and a copy that lacks doc-7.
        $script:cmpSource = New-SeededDb 20
        $script:copy = New-TestDbName 'copy'
        $null = Start-CouchReplication "$url$cmpSource" "$url$copy" -CreateTarget
        $script:partial = New-TestDbName 'partial'
        $null = Start-CouchReplication "$url$cmpSource" "$url$partial" -CreateTarget -DocIds @(0..19 | Where-Object { $_ -ne 7 } | ForEach-Object { "doc-$_" })
    }

    It 'writes only a CouchComparisonSummary for a complete copy, and $true with -Quiet' {
        $out = @(Compare-CouchDatabase "$url$cmpSource" "$url$copy" -Deep -Both)
        $out.Count | Should -Be 1
        $out[0] | Should -BeOfType ([CouchReplication.CouchComparisonSummary])
        $out[0].Identical | Should -BeTrue
        $out[0].DocumentsChecked | Should -Be 40
        $out[0].SourceSeq | Should -Not -BeNullOrEmpty
        $quiet = @(Compare-CouchDatabase "$url$cmpSource" "$url$copy" -Quiet)
        $quiet.Count | Should -Be 1
        $quiet[0] | Should -BeOfType ([bool])
        $quiet[0] | Should -BeTrue
    }

    It 'writes a CouchDifference per missing revision, then the summary; $false with -Quiet' {
        $out = @(Compare-CouchDatabase "$url$cmpSource" "$url$partial")
        $out.Count | Should -Be 2
        $out[0] | Should -BeOfType ([CouchReplication.CouchDifference])
        $out[0].Id | Should -Be 'doc-7'
        $out[0].Rev | Should -Match '^1-'
        $out[0].Kind | Should -Be ([CouchReplication.CouchDifferenceKind]::MissingOnTarget)
        $out[1].MissingOnTarget | Should -Be 1
        $out[1].Identical | Should -BeFalse
        Compare-CouchDatabase "$url$cmpSource" "$url$partial" -Quiet | Should -BeExactly $false
        ($out | Out-String -Width 200) | Should -Match 'MissingOnTarget\s+doc-7\s+1-'
    }

    It 'compares only what a piped replication document covers' {
        New-CouchReplicationDoc -Source "$url$cmpSource" -Target "$url$partial" -DocIds doc-1, doc-2 | Compare-CouchDatabase -Quiet | Should -BeTrue
        @{ source = "$url$cmpSource"; target = "$url$partial"; doc_ids = @('doc-7') } | Compare-CouchDatabase -Quiet | Should -BeFalse
    }

    It 'reports progress while it compares' {
        $run = Invoke-WithProgress { param($Source, $Target) Compare-CouchDatabase $Source $Target } "$url$cmpSource", "$url$copy"
        $run.Output[-1].Identical | Should -BeTrue
        $run.Progress.Count | Should -BeGreaterThan 0
        $run.Progress[0].Activity | Should -Match "Comparing http://admin:\*\*\*\*\*@.*$cmpSource"
        $run.Progress[-1].RecordType | Should -Be 'Completed'
    }

    It 'fails a missing target with CouchReplication.DbNotFound and a wrong password with CouchReplication.Unauthorized, showing no password' {
        $err = $null
        Compare-CouchDatabase "$url$cmpSource" "$url$(New-TestDbName 'absent')" -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.DbNotFound,CouchReplication.Commands.CompareCouchDatabaseCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -BeLike 'The target database*'

        $wrong = $url -replace ':secret@', ':wrong-password@'
        $err = $null
        $out = Compare-CouchDatabase "$wrong$cmpSource" "$url$copy" -Quiet -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1
        $err[0].FullyQualifiedErrorId | Should -Be 'CouchReplication.Unauthorized,CouchReplication.Commands.CompareCouchDatabaseCommand'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($err | Out-String) + ($out | Out-String) | Should -Not -Match 'wrong-password|secret'
    }
}

Describe 'Ctrl+C in a terminal' {
    It 'says where the replication stopped and that running the same command again resumes there; the rerun does' -Skip:$IsWindows {
        $source = New-SeededDb 3000
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

Describe 'Continuous replication, Get-CouchActiveTask and Stop-CouchReplication' {
    BeforeEach {
        $script:source = New-SeededDb 3
        $script:target = New-TestDbName 'target'
    }
    AfterEach {
        Get-CouchActiveTask | Stop-CouchReplication
    }

    BeforeAll {
        function Wait-Running($Task) {
            Wait-Until { $Task.State -eq 'Running' } -Timeout 30 -Because 'the task running'
            $Task.State | Should -Be 'Running'
        }
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

    It 'completes -ReplicationId with the session''s task ids and -Type with known task types' {
        $task = Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Continuous
        foreach ($line in "Get-CouchActiveTask -ReplicationId $($task.ReplicationId.Substring(0, 6))", "Stop-CouchReplication -ReplicationId ") {
            $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $completion.CompletionMatches.CompletionText | Should -Contain $task.ReplicationId
        }
        $line = 'Get-CouchActiveTask -Type ind'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('indexer')
    }

    It 'stops every replication, each with a final checkpoint, when the session ends' {
        $targets = 1..3 | ForEach-Object { New-TestDbName 'target' }
        $script = "Import-Module '$modulePath'; " + (($targets | ForEach-Object { "`$null = Start-CouchReplication '$url$source' '$url$_' -CreateTarget -Continuous -CheckpointInterval 600000" }) -join '; ') +
            "; Import-Module '$testServerModule'; Wait-Until { (Get-CouchActiveTask | Where-Object DocsWritten -eq 3).Count -ge 3 } -Timeout 30 -Because 'three documents in each target'"
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $process = Start-Process (Get-TestPwsh) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru
        $process.WaitForExit(60000) | Should -BeTrue -Because 'leaving the session must not hang on continuous replications'
        foreach ($target in $targets) {
            (Invoke-TestCouch -Url $url -Path $target).doc_count | Should -Be 3
            # The interval (10 minutes) never came: this checkpoint is the one written as the session ended.
            $doc = New-CouchReplicationDoc -Source "$url$source" -Target "$url$target" -CreateTarget -Continuous
            $checkpointId = ([CouchReplication.ReplicationRegistry]::Session.TaskIdOfAsync($doc).GetAwaiter().GetResult()).Split('+')[0]
            (Invoke-TestCouch -Url $url -Path "$target/_local/$checkpointId").source_last_seq | Should -Not -BeNullOrEmpty
        }
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

Describe 'Jobs: Start-CouchReplication -AsJob with Get-Job, Wait-Job, Receive-Job, Stop-Job, Remove-Job' {
    AfterEach {
        Get-Job | Where-Object PSJobTypeName -eq 'CouchReplicationJob' | Remove-Job -Force
    }

    It 'runs a one-shot replication as a job: Wait-Job, then Receive-Job gives the result and the refused documents as warnings' {
        $source = New-SeededDb 20
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
        $source = New-SeededDb 5
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
        $source = New-SeededDb 3
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
        $source = New-SeededDb 1
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
        $first = Start-CouchReplication "$url$(New-SeededDb 3)" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous
        $sources = 1..2 | ForEach-Object { New-SeededDb 4 }
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

Describe 'Credentials never show' {
    It 'appears in no output stream, object, format view, JSON or error' {
        $source = New-SeededDb 3
        $target = New-TestDbName 'target'
        $wrong = $url -replace ':secret@', ':Wr0ng-p@ssw0rd@' -replace 'Wr0ng-p@ssw0rd', [uri]::EscapeDataString('Wr0ng-p@ssw0rd')
        $credential = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $plainUrl = $url -replace '//[^@]+@', '//'

        $everything = & {
            Start-CouchReplication "$url$source" "$url$target" -CreateTarget -Verbose -Debug
            Start-CouchReplication "$wrong$source" "$url$(New-TestDbName 'target')" -CreateTarget -Verbose -Debug -RetriesPerRequest 0
            Start-CouchReplication "$plainUrl$source" "$plainUrl$(New-TestDbName 'target')" -CreateTarget -SourceCredential $credential -TargetCredential $credential -Verbose
            $task = Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Continuous -Verbose
            $task
            Get-CouchActiveTask
            Get-CouchActiveTask | Stop-CouchReplication -PassThru -Verbose
            New-CouchReplicationDoc -Source "$url$source" -Target "$url$target" -SourceCredential $credential
        } *>&1
        $text = ($everything | Format-List * -Force | Out-String -Width 500) +
            ($everything | ForEach-Object { "$_" } | Out-String) +
            ($everything | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] } | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue | Out-String) +
            ($Error | ForEach-Object { $_ | Format-List * -Force | Out-String; $_.Exception.ToString() } | Out-String)

        $everything.Count | Should -BeGreaterThan 10
        # -Debug narrates each request with its answer, URL redacted.
        $debug = @($everything | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        @($debug -match "^GET http://admin:\*{5}@[^ ]*$source[^ ]*: 200 OK after \d+ ms$") | Should -Not -BeNullOrEmpty
        @($debug -match '^POST [^ ]*/_bulk_docs: 201 Created after') | Should -Not -BeNullOrEmpty
        @($debug -match ': 401 Unauthorized after') | Should -Not -BeNullOrEmpty
        $text | Should -Match '\*\*\*\*\*'
        $text | Should -Not -Match 'secret'
        $text | Should -Not -Match 'Wr0ng'
    }

    It 'appears in no field of the error record of <Case>' -ForEach @(
        @{ Case = 'the same database twice'; Run = { Start-CouchReplication 'http://admin:s3cr3t@127.0.0.1:1/a' 'http://admin:s3cr3t@127.0.0.1:1/a' } }
        @{ Case = 'an invalid database name'; Run = { Start-CouchReplication 'http://admin:s3cr3t@127.0.0.1:1/Bad' 'http://admin:s3cr3t@127.0.0.1:1/b' } }
        @{ Case = 'a negative batch size'; Run = { New-CouchReplicationDoc 'http://admin:s3cr3t@127.0.0.1:1/a' 'http://admin:s3cr3t@127.0.0.1:1/b' -WorkerBatchSize -1 } }
        @{ Case = 'a selector that is not JSON'; Run = { New-CouchReplicationDoc 'http://admin:s3cr3t@127.0.0.1:1/a' 'http://admin:s3cr3t@127.0.0.1:1/b' -Selector 'not json' } }
        @{ Case = 'conflicting switches'; Run = { Start-CouchReplication 'http://admin:s3cr3t@127.0.0.1:1/a' 'http://admin:s3cr3t@127.0.0.1:1/b' -NoWait -Wait } }
        @{ Case = 'a piped hashtable'; Run = { @{ source = 'http://admin:s3cr3t@127.0.0.1:1/a'; target = 'http://admin:s3cr3t@127.0.0.1:1/a' } | Start-CouchReplication } }
        @{ Case = 'piped ConvertFrom-Json output'; Run = { '{"source":"http://admin:s3cr3t@127.0.0.1:1/a","target":"http://admin:s3cr3t@127.0.0.1:1/a"}' | ConvertFrom-Json | Start-CouchReplication } }
        @{ Case = 'an unreachable -Server'; Run = { Get-CouchActiveTask -Server 'http://admin:s3cr3t@127.0.0.1:1/' } }
        @{ Case = 'a wrong password'; Run = { Start-CouchReplication "$($url -replace ':secret@', ':s3cr3t@')$(New-SeededDb 1)" "$url$(New-TestDbName 'target')" -RetriesPerRequest 0 } }
    ) {
        $err = @(& $Run 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $err.Count | Should -BeGreaterThan 0
        $record = $err[0]
        $record.FullyQualifiedErrorId | Should -BeLike 'CouchReplication.*'
        # What the user typed is in InvocationInfo (the command line); every field the module fills in is checked.
        $fields = @($record.Exception.Message, $record.Exception.ToString(), ($record.Exception | Format-List * -Force | Out-String),
            ($record.TargetObject | Format-List * -Force | Out-String), "$($record.TargetObject)", ($record.CategoryInfo | Out-String),
            $record.CategoryInfo.TargetName, $record.ErrorDetails.Message, $record.ErrorDetails.RecommendedAction) -join "`n"
        $fields | Should -Not -Match 's3cr3t'
    }

    It 'takes -SourceCredential and -TargetCredential for a piped document, leaving the document as it was' {
        $source = New-SeededDb 3
        $target = New-TestDbName 'target'
        $plainUrl = $url -replace '//[^@]+@', '//'
        $credential = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $doc = New-CouchReplicationDoc -Source "$plainUrl$source" -Target "$plainUrl$target" -CreateTarget
        $result = $doc | Start-CouchReplication -SourceCredential $credential -TargetCredential $credential
        $result.DocsWritten | Should -Be 3
        $doc.SourceCredential | Should -BeNullOrEmpty
        Assert-NothingLost -Url $url -Source $source -Target $target
    }

    It 'refuses a URL whose password is the mask, saying how to give the credential' {
        $err = $null
        New-CouchReplicationDoc -Source 'http://admin:*****@127.0.0.1:1/a' -Target http://127.0.0.1:1/b -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.InvalidArgument,*'
        $err[0].Exception.Message | Should -Match 'mask.*-SourceCredential'
    }
}

