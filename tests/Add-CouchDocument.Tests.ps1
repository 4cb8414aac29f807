# Add-CouchDocument: documents written as an application writes them, into a database file or onto a server.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
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
