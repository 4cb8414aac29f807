# build.ps1 Demo, which the README's quick start runs: no server needed.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
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
