# Pester 5: IAM API keys and session cookies as a user gives them to the cmdlets, in real pwsh.

BeforeDiscovery {
    $script:onCouchDb = -not $env:COUCH_TEST_URL -and (Test-Path '/opt/couchdb/bin/couchdb')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
}

Describe 'IAM API keys on Apache CouchDB with JWT authentication' -Skip:(-not $onCouchDb) {
    BeforeAll {
        $script:couch = Start-TestCouchDb
        $script:url = $couch.Url
        $script:plainUrl = $url -replace '//[^@]+@', '//'
        $script:apiKey = 'pester-api-key-5d1e0b'
        $script:iam = Start-TestIamTokenServer -LifetimeSeconds 60 -Keys @{ $apiKey = 'iam-user' }
        $script:key = ConvertTo-SecureString $apiKey -AsPlainText -Force

        # Two databases only iam-user may use: nothing but its key gets in.
        function New-ProtectedPair {
            $source = New-TestSeededDb -Url $url -Count 5
            $target = New-TestDbName 'target'
            $null = Invoke-TestCouch -Url $url -Path $target -Method PUT
            foreach ($db in $source, $target) {
                $null = Invoke-TestCouch -Url $url -Path "$db/_security" -Method PUT -Body @{ members = @{ names = @('iam-user') } }
            }
            $source, $target
        }
    }
    AfterAll {
        Stop-TestCouchServer $iam
        Stop-TestCouchServer $couch
    }

    It 'replicates with -SourceIamApiKey and -TargetIamApiKey, and neither the key nor a token shows anywhere' {
        $source, $target = New-ProtectedPair
        $everything = & {
            Start-CouchReplication "$plainUrl$source" "$plainUrl$target" -SourceIamApiKey $key -TargetIamApiKey $key -IamTokenUrl $iam.Url -Verbose -Debug
            New-CouchReplicationDoc "$plainUrl$source" "$plainUrl$target" -SourceIamApiKey $key
        } *>&1
        $result = $everything | Where-Object { $_ -is [CouchReplication.CouchReplicationResult] }
        $result.DocsWritten | Should -Be 5
        Assert-NothingLost -Url $url -Source $source -Target $target

        # The token request is narrated like any other, and the key and tokens (JWTs: eyJ...) appear nowhere.
        @($everything | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message) -match '^POST .*/identity/token: 200 OK after' |
            Should -Not -BeNullOrEmpty
        $text = ($everything | Format-List * -Force | Out-String -Width 500) + ($everything | ForEach-Object { "$_" } | Out-String) +
            ($everything | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] } | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue | Out-String)
        $text | Should -Not -Match $apiKey
        $text | Should -Not -Match 'eyJ'
    }

    It 'takes the key for a piped Cloudant document and leaves the document as it was' {
        $source, $target = New-ProtectedPair
        $doc = "{""source"": {""url"": ""$plainUrl$source"", ""auth"": {""ibm"": {""iam"": {""api_key"": ""revoked-or-not""}}}}, ""target"": ""$plainUrl$target""}" |
            ConvertFrom-Json
        $result = $doc | Start-CouchReplication -SourceIamApiKey $key -TargetIamApiKey $key -IamTokenUrl $iam.Url
        $result.DocsWritten | Should -Be 5
        $doc.source.auth.ibm.iam.api_key | Should -Be 'revoked-or-not'
    }

    It 'fails a key the token endpoint refuses with CouchReplication.Unauthorized and its reason, writing nothing' {
        $source, $target = New-ProtectedPair
        $wrong = ConvertTo-SecureString 'not-a-key-9a8b' -AsPlainText -Force
        $err = $null
        Start-CouchReplication "$plainUrl$source" "$plainUrl$target" -SourceIamApiKey $wrong -TargetIamApiKey $wrong -IamTokenUrl $iam.Url `
            -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.Unauthorized,*'
        $err[0].Exception.Message | Should -Match 'Provided API key could not be found'
        ($err[0] | Format-List * -Force | Out-String) + $err[0].Exception.ToString() | Should -Not -Match 'not-a-key-9a8b'
        (Invoke-TestCouch -Url $url -Path "$target/_all_docs").total_rows | Should -Be 0
    }

    It 'refuses a password and a key for one end with CouchReplication.InvalidArgument before any request' {
        $err = $null
        New-CouchReplicationDoc 'http://admin:pw@127.0.0.1:1/a' 'http://127.0.0.1:1/b' -SourceIamApiKey $key -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CouchReplication.InvalidArgument,*'
        $err[0].Exception.Message | Should -Match 'both a password .* and an IAM API key'
    }
}

Describe 'Session cookies' {
    BeforeAll {
        $script:server = Start-TestCouchServer
        $script:url = $server.Url
    }
    AfterAll {
        Stop-TestCouchServer $server
    }

    It 'logs in at _session once (-Debug shows it) and -Authentication Basic never does' {
        $source = New-TestSeededDb -Url $url -Count 3
        $session = @(Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Verbose -Debug 5>&1 4>$null |
            Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        $basic = @(Start-CouchReplication "$url$source" "$url$(New-TestDbName 'target')" -CreateTarget -Authentication Basic -Verbose -Debug 5>&1 4>$null |
            Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        @($session -match '^POST http://admin:\*{5}@[^ ]*/_session: 200 OK after').Count | Should -Be 1
        @($basic -match '/_session').Count | Should -Be 0
        @($basic -match '/_bulk_docs: 201').Count | Should -BeGreaterThan 0
    }
}
