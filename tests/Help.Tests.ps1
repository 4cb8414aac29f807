# The help users read is complete and matches the cmdlets as they are.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../out/CouchReplication/CouchReplication.psd1') -Force
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters
}

Describe 'Help for <_>' -ForEach @('New-CouchReplicationDoc', 'Start-CouchReplication', 'Get-CouchActiveTask', 'Stop-CouchReplication', 'Get-CouchReplicationDoc', 'Compare-CouchDatabase', 'Get-CouchReplicationOption', 'Set-CouchReplicationOption', 'Add-CouchDocument') {
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

    It 'lists as INPUTS every parameter that takes pipeline input' {
        $piped = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })
        $text = @($help.inputTypes.inputType) | ForEach-Object { "$($_.type.name) $($_.description.Text)" }
        if ($piped.Count -eq 0) { ($text -join "`n") | Should -Not -Match ' -\w+, ' -Because 'nothing is taken from the pipeline'; return }
        foreach ($parameter in $piped) { ($text -join "`n") | Should -Match "-$($parameter.Name)," -Because "-$($parameter.Name) takes pipeline input" }
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

# Each about_ topic in en-US/ ships in the module folder (build.ps1 Package copies that folder,
# which Packaging.Tests.ps1 checks), Get-Help finds it there, and it fits an 80-column terminal.
BeforeDiscovery {
    $script:aboutTopics = Get-ChildItem (Join-Path $PSScriptRoot '../en-US') -Filter 'about_*.help.txt' |
        ForEach-Object { @{ Topic = $_.Name -replace '\.help\.txt$'; Path = $_.FullName } }
}

Describe 'about topic <Topic>' -ForEach $aboutTopics {
    It 'is in the built module folder and Get-Help shows it' {
        Join-Path $PSScriptRoot "../out/CouchReplication/en-US/$Topic.help.txt" | Should -Exist
        Get-Help $Topic | Out-String | Should -Match "TOPIC\s+$Topic"
    }

    It 'has no line longer than 80 columns' {
        Get-Content $Path | Where-Object Length -gt 80 | Should -BeNullOrEmpty
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

# Every example in the help, run as written (see the header of en-US/CouchReplication.Examples.psd1):
# db1.example.com and db2.example.com are two throwaway pouchdb-servers, the variables are set as a
# user would have them, and an example passes when it runs without an error.
BeforeDiscovery {
    $examples = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../en-US/CouchReplication.Examples.psd1')
    $script:exampleCases = foreach ($name in $examples.Keys | Sort-Object) {
        $index = 0
        foreach ($example in $examples[$name]) {
            $index++
            @{ Name = $name; Index = $index; Code = $example.Code; Skip = $example.Skip }
        }
    }
}

Describe 'Help examples, run against pouchdb-server' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'helpers/TestServer.psm1') -Force
        $script:servers = @{ db1 = Start-TestCouchServer; db2 = Start-TestCouchServer }
        $script:plain = @{}
        foreach ($key in $servers.Keys) { $plain[$key] = $servers[$key].Url -replace '//[^@]+@', '//' }
        function Set-ExampleWorld {
            # The databases and documents the examples name, on the server that stands for db1.
            $a = $servers.db1.Url
            if ((Get-TestCouchStatus -Url $a -Path 'db1-orders') -ne 200) {
                Invoke-TestCouch -Url $a -Path 'db1-orders' -Method PUT | Out-Null
                Invoke-TestCouch -Url $a -Path 'db1-orders/_bulk_docs' -Method POST -Body @{
                    docs = @(1..20 | ForEach-Object { @{ _id = "order-$_"; type = 'order'; n = $_ } }) } | Out-Null
            }
            if ((Get-TestCouchStatus -Url $a -Path '_replicator/nightly-orders') -ne 200) {
                Invoke-TestCouch -Url $a -Path '_replicator/nightly-orders' -Method PUT -Body @{
                    source = "${a}db1-orders"; target = "${a}db1-orders-copy"; create_target = $true; continuous = $true } | Out-Null
            }
        }
        # https://[admin:pw@]db1.example.com[/orders] -> the db1 server's URL (with its admin) [+ db1-orders]
        function ConvertTo-LocalExample([string] $Code) {
            [regex]::Replace($Code, 'https://(?:admin:pw@)?(db[12])\.example\.com(?:/([\w-]+))?', {
                param($m)
                $server = $servers[$m.Groups[1].Value].Url
                if ($m.Groups[2].Success) { "$server$($m.Groups[1].Value)-$($m.Groups[2].Value)" } else { $server.TrimEnd('/') }
            })
        }
    }
    AfterAll {
        Get-CouchActiveTask | Stop-CouchReplication
        foreach ($server in $servers.Values) { Stop-TestCouchServer $server }
    }
    AfterEach {
        Get-CouchActiveTask | Stop-CouchReplication
        Get-Job | Where-Object PSJobTypeName -eq 'CouchReplicationJob' | Remove-Job -Force
        # The session's defaults again: the files that run after this one start from them.
        Set-CouchReplicationOption -MaxJobs 20 -MaxRestarts 5
    }

    It '<Name> example <Index> runs as written' -ForEach $exampleCases {
        if ($Skip) {
            Set-ItResult -Skipped -Because $Skip
            return
        }
        Set-ExampleWorld
        $src = "$($servers.db1.Url)db1-orders"
        $dst = "$($servers.db2.Url)db2-orders"
        $old = $plain.db1.TrimEnd('/')
        $new = $plain.db2.TrimEnd('/')
        $cred = $admin = [pscredential]::new('admin', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
        $doc = New-CouchReplicationDoc -Source $src -Target $dst -CreateTarget -Continuous
        $doc | Start-CouchReplication -WarningAction SilentlyContinue | Out-Null

        $work = Join-Path ([IO.Path]::GetTempPath()) "couch-example-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory $work | Out-Null
        Push-Location $work
        try {
            (New-CouchReplicationDoc -Source $src -Target $dst -CreateTarget).ToJson() | Set-Content rep.json
            $ErrorActionPreference = 'Stop'
            $code = ConvertTo-LocalExample $Code
            $code | Should -Not -Match 'example\.com' -Because 'every server an example names stands for a test server'
            . ([scriptblock]::Create($code)) *>&1 | Out-Null
        }
        finally {
            Pop-Location
            Remove-Item -Recurse -Force $work
        }
    }
}
