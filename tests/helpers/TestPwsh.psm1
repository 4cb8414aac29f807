# The pwsh the suites run in, for the tests that start another one (a session that ends, build.ps1,
# a user's fresh session): the same version, whether it is a machine-wide install or the pinned
# dotnet tool (`dotnet pwsh`), so no test depends on a pwsh on PATH.

function Get-TestPwsh {
    # Both put an executable pwsh in $PSHOME. Under `dotnet pwsh` the process is dotnet itself, and
    # that pwsh finds the runtime through DOTNET_ROOT where dotnet is not in its default place.
    $hostName = [IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath)
    if ($hostName -eq 'dotnet' -and -not $env:DOTNET_ROOT) { $env:DOTNET_ROOT = Split-Path ([Environment]::ProcessPath) }
    $path = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (-not (Test-Path $path)) { throw "No pwsh executable in `$PSHOME ($PSHOME)" }
    $path
}

Export-ModuleMember -Function Get-TestPwsh
