<#
.SYNOPSIS
    Builds, tests and demonstrates the CouchReplication module.
.DESCRIPTION
    Build: dotnet build of CouchReplication.sln; the importable module lands in out/CouchReplication.
    Test:  every test suite, exactly as CI runs them (tests/run.sh).
    Pester: the Pester suites (tests/*.Tests.ps1) against the module as last built, with Pester
           restored from NuGet at the version tests/tools/PesterRestore.csproj pins, put first on
           PSModulePath (out/modules); prints the pwsh and Pester versions it ran with.
    Demo:  builds, writes sample documents into a database file (Add-CouchDocument), replicates
           them into a second file, shows progress and the result, replicates again (nothing to
           transfer), starts a continuous replication that picks up a new document, shows it in
           Get-CouchActiveTask, stops it through the pipeline and compares the two databases. Needs
           no server and no other setup; the files are removed at the end (build/Demo.ps1).
    Help:  builds, then writes en-US/CouchReplication.dll-Help.xml (MAML) from the cmdlets'
           parameters, their XML documentation and en-US/CouchReplication.Examples.psd1
           (build/HelpGenerator.ps1).
    Package: builds Release and writes out/package/CouchReplication (the module folder, ready for
           Publish-PSResource -Path) and out/package/CouchReplication.<version>.nupkg
           (build/Package.ps1).
.PARAMETER ProjectUri
    Package only: the project's public home, written into the packaged manifest (ProjectUri), the
    nuspec (projectUrl) and the packaged help, as every cmdlet's online link (Get-Help -Online). The
    manifest in the repository names none until the project has one.
.PARAMETER NoBuild
    Demo only: use the module as last built (out/CouchReplication) instead of building first.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 Demo

    The pinned pwsh (.config/dotnet-tools.json): no other pwsh needed.
.EXAMPLE
    ./build.ps1 Demo
.EXAMPLE
    ./build.ps1 Package -ProjectUri https://github.com/example/CouchReplication
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Pester', 'Demo', 'Help', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [ValidateScript({ $_.IsAbsoluteUri -and $_.Scheme -in 'http', 'https' }, ErrorMessage = 'ProjectUri must be an absolute http or https URL, not "{0}".')]
    [uri] $ProjectUri,

    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot 'out/CouchReplication/CouchReplication.psd1'

# Pester from the NuGet feed, at the version tests/tools/PesterRestore.csproj pins, laid out in
# out/modules; that folder goes first on PSModulePath, so no other Pester is imported.
function Import-PinnedPester {
    $restore = Join-Path $PSScriptRoot 'tests/tools/PesterRestore.csproj'
    dotnet msbuild $restore -restore -t:RestorePester -nologo -v:q | Out-Host
    if ($LASTEXITCODE) { throw "Restoring Pester failed with exit code $LASTEXITCODE" }
    $version = ([xml](Get-Content $restore -Raw)).Project.PropertyGroup.PesterVersion | Where-Object { $_ } | Select-Object -First 1
    $modules = Join-Path $PSScriptRoot 'out/modules'
    if (($env:PSModulePath -split [IO.Path]::PathSeparator)[0] -ne $modules) {
        $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
    }
    Import-Module Pester -RequiredVersion $version -ErrorAction Stop -PassThru
}

function Invoke-ModuleBuild {
    dotnet build (Join-Path $PSScriptRoot 'CouchReplication.sln') -c $Configuration --nologo -v quiet
    if ($LASTEXITCODE) { throw "dotnet build failed with exit code $LASTEXITCODE" }
}

switch ($Task) {
    'Build' {
        Invoke-ModuleBuild
        "Module: $module"
    }
    'Help' {
        Invoke-ModuleBuild
        Import-Module $module -Force
        & (Join-Path $PSScriptRoot 'build/HelpGenerator.ps1') -Configuration $Configuration
        # The help file goes into the module folder with the next build.
        Invoke-ModuleBuild
    }
    'Package' {
        if ($Configuration -ne 'Release') { throw 'Packages are built from Release.' }
        Invoke-ModuleBuild
        & (Join-Path $PSScriptRoot 'build/Package.ps1') -Module $module -ProjectUri $ProjectUri
    }
    'Test' {
        bash (Join-Path $PSScriptRoot 'tests/run.sh')
        if ($LASTEXITCODE) { throw "tests failed (exit code $LASTEXITCODE)" }
    }
    'Pester' {
        $pester = Import-PinnedPester
        "Running with pwsh $($PSVersionTable.PSVersion) ($PSHOME) and Pester $($pester.Version) ($($pester.ModuleBase))"
        # The suites run as in a user's session, not under this script's Stop.
        $ErrorActionPreference = 'Continue'
        $pesterConfiguration = New-PesterConfiguration
        $pesterConfiguration.Run.Path = Join-Path $PSScriptRoot 'tests'
        $pesterConfiguration.Run.PassThru = $true
        $pesterConfiguration.Output.Verbosity = 'Detailed'
        $result = Invoke-Pester -Configuration $pesterConfiguration
        'PESTER: Passed: {0}, Failed: {1}, Skipped: {2}' -f $result.PassedCount, $result.FailedCount, ($result.SkippedCount + $result.NotRunCount)
        if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
    }
    'Demo' {
        if (-not $NoBuild) { Invoke-ModuleBuild }
        & (Join-Path $PSScriptRoot 'build/Demo.ps1') -Module $module
    }
}
