# Compare-CouchDatabase: proving a copy complete, against a real server.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Compare-CouchDatabase' {
    BeforeAll {
        # A source of 20 documents, its complete copy, and a copy that lacks doc-7.
        $script:cmpSource = New-TestSeededDb -Url $url -Count 20
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
