# New-CouchReplicationDoc: the replication document as a user builds it; no server needed.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
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
