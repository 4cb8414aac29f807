# The module in a session: what becomes of its replications when the session ends.
BeforeAll {
    $modulePath = Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1'
    Import-Module $modulePath -Force
    $testServerModule = Join-Path $PSScriptRoot 'helpers/TestServer.psm1'
    Import-Module $testServerModule -Force
    $script:server = Start-TestCouchServer
    $script:url = $server.Url
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
}

AfterAll {
    Stop-TestCouchServer $server
}

Describe 'Leaving the session' {
    It 'stops every replication, each with a final checkpoint, when the session ends' {
        $source = New-TestSeededDb -Url $url -Count 3
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
}
