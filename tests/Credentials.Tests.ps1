# Passwords and credentials never show, in anything any cmdlet writes, returns or throws.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Credentials never show' {
    It 'appears in no output stream, object, format view, JSON or error' {
        $source = New-TestSeededDb -Url $url -Count 3
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
        @{ Case = 'a wrong password'; Run = { Start-CouchReplication "$($url -replace ':secret@', ':s3cr3t@')$(New-TestSeededDb -Url $url -Count 1)" "$url$(New-TestDbName 'target')" -RetriesPerRequest 0 } }
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
        $source = New-TestSeededDb -Url $url -Count 3
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
