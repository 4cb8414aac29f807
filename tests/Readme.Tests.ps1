# Every example in README.md is run by the suite: a ```powershell block's lines are lines of the help
# examples (en-US/CouchReplication.Examples.psd1, which Help.Tests.ps1 runs as written), and the
# quick start's demo runs here.
BeforeDiscovery {
    $readme = Get-Content (Join-Path $PSScriptRoot '../README.md') -Raw
    $script:blocks = foreach ($match in [regex]::Matches($readme, '(?ms)^```powershell\r?\n(.*?)^```')) {
        @{ Block = $match.Groups[1].Value }
    }
}

Describe 'README.md' {
    BeforeAll {
        $examples = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../en-US/CouchReplication.Examples.psd1')
        # A skipped example is not run, so it covers nothing.
        $script:exampleLines = @($examples.Values | ForEach-Object { $_ } | Where-Object { -not $_.Skip } | ForEach-Object { $_.Code -split '\r?\n' })
    }

    It 'has PowerShell examples' {
        $blocks.Count | Should -BeGreaterThan 0
    }

    It 'runs the lines of this example as help examples: <Block>' -ForEach $blocks {
        foreach ($line in $Block -split '\r?\n' | Where-Object { $_.Trim() }) {
            $exampleLines | Should -Contain $line -Because 'each README example must be a help example the suite runs (en-US/CouchReplication.Examples.psd1)'
        }
    }

    It 'quick start: build.ps1 Demo replicates between two database files and proves the copy complete' {
        Import-Module (Join-Path $PSScriptRoot 'TestPwsh.psm1') -Force
        # The module as last built: the suite runs after the build.
        $output = & (Get-TestPwsh) -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../build.ps1') Demo -NoBuild 2>&1 | Out-String
        $text = $output -replace '\x1b\[[0-9;]*m'   # Format-List's colours
        $LASTEXITCODE | Should -Be 0 -Because $output
        $text | Should -Match 'NoChanges\s*:\s*True'
        $text | Should -Match 'Identical\s*:\s*True'
    }
}
