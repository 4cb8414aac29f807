# The PowerShell the suites run in, for the tests that need a session of their own: another pwsh
# (a session that ends, build.ps1, a user's fresh session) of the same version, whether it is a
# machine-wide install or the pinned dotnet tool (`dotnet pwsh`), so no test depends on a pwsh on
# PATH; or a runspace of this one with the built module.

function Get-TestPwsh {
    # Both put an executable pwsh in $PSHOME. Under `dotnet pwsh` the process is dotnet itself, and
    # that pwsh finds the runtime through DOTNET_ROOT where dotnet is not in its default place.
    $hostName = [IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath)
    if ($hostName -eq 'dotnet' -and -not $env:DOTNET_ROOT) { $env:DOTNET_ROOT = Split-Path ([Environment]::ProcessPath) }
    $path = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (-not (Test-Path $path)) { throw "No pwsh executable in `$PSHOME ($PSHOME)" }
    $path
}

# Runs $Script with the built module in a new runspace, where progress records are kept (this host's are not).
function Invoke-WithProgress([scriptblock] $Script, [object[]] $Arguments) {
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '../../out/CouchReplication/CouchReplication.psd1')).AddStatement().AddScript($Script)
        foreach ($argument in $Arguments) { $null = $ps.AddArgument($argument) }
        $output = $ps.Invoke()
        [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress) }
    }
    finally {
        $ps.Dispose()
    }
}

Export-ModuleMember -Function Get-TestPwsh, Invoke-WithProgress
