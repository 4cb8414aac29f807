# The help users read is complete and matches the cmdlets as they are.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters
}

Describe 'Help for <_>' -ForEach @('New-CouchReplicationDoc', 'Start-CouchReplication', 'Get-CouchActiveTask', 'Stop-CouchReplication', 'Compare-CouchDatabase', 'Get-CouchReplicationOption', 'Set-CouchReplicationOption') {
    BeforeAll {
        $script:help = Get-Help $_ -Full
        $script:command = Get-Command $_
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*\S+-\S+ \[' # not the syntax PowerShell makes up without help
        ($help.Description.Text -join ' ') | Should -Match '\w+ \w+ \w+'
    }

    It 'documents every parameter the cmdlet has, and no other' {
        $real = $command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object
        $documented = $help.Parameters.Parameter.Name | Sort-Object
        $documented | Should -Be $real
        foreach ($parameter in $help.Parameters.Parameter) {
            ($parameter.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
        }
    }

    It 'has at least three examples' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
        foreach ($example in $help.Examples.Example) { $example.Code | Should -Match $_.Split('-')[1] }
    }
}

Describe 'about_CouchReplication' {
    It 'explains the engine, checkpoints, states and the document fields' {
        $about = Get-Help about_CouchReplication | Out-String
        foreach ($topic in 'CHECKPOINTS', 'STATES', 'THE REPLICATION DOCUMENT', 'worker_batch_size') { $about | Should -Match $topic }
    }
}

Describe 'Help for the replication-document parameters' {
    It 'shows positions, CouchDB defaults and JSON names from the field descriptors' {
        $help = Get-Help Start-CouchReplication -Full
        $source = $help.Parameters.Parameter | Where-Object Name -eq Source
        $source.Position | Should -Be '0'
        $batch = $help.Parameters.Parameter | Where-Object Name -eq WorkerBatchSize
        $batch.DefaultValue | Should -Be '500'
        $batch.Aliases | Should -Be 'worker_batch_size'
        ($help.Parameters.Parameter | Where-Object Name -eq UseCheckpoints).DefaultValue | Should -Be 'true'
    }

    It 'gives every field of the document a parameter on <_>, with its JSON name as an alias' -ForEach @('New-CouchReplicationDoc', 'Start-CouchReplication') {
        $parameters = (Get-Command $_).Parameters
        $fields = [CouchReplication.CouchReplicationDoc].GetProperties() | ForEach-Object {
            $field = $_.GetCustomAttributes([CouchReplication.ReplicationDocFieldAttribute], $false)
            if ($field) { [pscustomobject]@{ Property = $_.Name; Json = $field.Json } }
        }
        $fields.Count | Should -BeGreaterThan 20
        foreach ($field in $fields) {
            $parameters.Keys | Should -Contain $field.Property
            if ($field.Json -ne $field.Property) { $parameters[$field.Property].Aliases | Should -Contain $field.Json }
        }
    }
}
