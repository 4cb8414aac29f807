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
           no server and no other setup; the files are removed at the end.
    Help:  builds, then writes en-US/CouchReplication.dll-Help.xml (MAML) from the cmdlets'
           parameters, their XML documentation and en-US/CouchReplication.Examples.psd1.
    Package: builds Release and writes out/package/CouchReplication (the module folder, ready for
           Publish-PSResource -Path) and out/package/CouchReplication.<version>.nupkg.
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

# MAML for Get-Help, from what the code says: synopsis, description and parameter text from the
# XML documentation, syntax from the cmdlets themselves, examples from the examples file.
function Write-MamlHelp {
    $commands = Get-Command -Module CouchReplication -CommandType Cmdlet | Sort-Object Name
    $bin = Join-Path $PSScriptRoot "src/CouchReplication/bin/$Configuration/net8.0"
    # The cmdlets' own XML documentation, and the engine's for the document fields, which are
    # the replication-document parameters (dynamic: one per CouchReplicationDoc property).
    $members = foreach ($file in 'CouchReplication.xml', 'CouchReplication.Engine.xml') { ([xml](Get-Content (Join-Path $bin $file) -Raw)).doc.members.member }
    $examples = Import-PowerShellDataFile (Join-Path $PSScriptRoot 'en-US/CouchReplication.Examples.psd1')
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + 'UseTransaction'
    function Doc([string] $member) {
        $node = $members | Where-Object name -eq $member
        if (-not $node) { throw "No XML documentation for $member" }
        $node.summary
    }
    # Plain text of a documentation node; <see cref="P:Ns.Type.Member"/> reads as its member's name (Member).
    function Text($node) {
        if ($node -isnot [string]) {
            $node = $node.Clone()
            foreach ($see in @($node.SelectNodes('.//see[@cref or @langword]'))) {
                $name = if ($see.cref) { $see.cref.Split('.')[-1] } else { $see.langword }
                [void]$see.ParentNode.ReplaceChild($node.OwnerDocument.CreateTextNode($name), $see)
            }
            $node = $node.InnerText
        }
        ($node -replace '\s+', ' ').Trim()
    }
    $shouldProcess = @{
        WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
        Confirm = 'Prompts you for confirmation before running the cmdlet.'
    }

    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $path = Join-Path $PSScriptRoot 'en-US/CouchReplication.dll-Help.xml'
    $w = [System.Xml.XmlWriter]::Create($path, $settings)
    $maml = 'http://schemas.microsoft.com/maml/2004/10'; $cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    function Para([string] $text) { $w.WriteStartElement('maml', 'para', $maml); $w.WriteString($text); $w.WriteEndElement() }
    function Described([string] $prefix, [string] $name, [string] $ns, [string] $text) {
        $w.WriteStartElement($prefix, $name, $ns); Para $text; $w.WriteEndElement()
    }
    $w.WriteStartElement('helpItems', 'http://msh'); $w.WriteAttributeString('schema', 'maml')
    foreach ($command in $commands) {
        $type = $command.ImplementingType
        $summary = Doc "T:$($type.FullName)"
        $synopsis = Text ($summary.para | Where-Object type -eq 'synopsis')
        $description = Text ($summary.para | Where-Object type -eq 'description')
        $parameters = $command.Parameters.Values | Where-Object Name -notin $common
        $w.WriteStartElement('command', 'command', $cmd)
        $w.WriteAttributeString('xmlns', 'maml', $null, $maml); $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
        $w.WriteStartElement('command', 'details', $cmd)
        $w.WriteElementString('command', 'name', $cmd, $command.Name)
        $w.WriteElementString('command', 'verb', $cmd, $command.Verb)
        $w.WriteElementString('command', 'noun', $cmd, $command.Noun)
        Described 'maml' 'description' $maml $synopsis
        $w.WriteEndElement()
        Described 'maml' 'description' $maml $description

        $w.WriteStartElement('command', 'syntax', $cmd)
        foreach ($set in $command.ParameterSets) {
            $w.WriteStartElement('command', 'syntaxItem', $cmd)
            $w.WriteElementString('maml', 'name', $maml, $command.Name)
            foreach ($p in $set.Parameters | Where-Object Name -notin $common | Sort-Object -Stable { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }) {
                $w.WriteStartElement('command', 'parameter', $cmd)
                $w.WriteAttributeString('required', "$($p.IsMandatory)".ToLower())
                $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { "$($p.Position)" } else { 'named' }))
                $w.WriteElementString('maml', 'name', $maml, $p.Name)
                if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                    $w.WriteElementString('command', 'parameterValue', $cmd, $p.ParameterType.Name)
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $cmd)
        foreach ($p in $parameters | Sort-Object Name) {
            $declaring = if ($p.IsDynamic) { [CouchReplication.CouchReplicationDoc] } else { $type.GetProperty($p.Name).DeclaringType }
            $text = if ($shouldProcess.ContainsKey($p.Name)) { $shouldProcess[$p.Name] } else { Text (Doc "P:$($declaring.FullName).$($p.Name)") }
            $field = if ($p.IsDynamic) { $declaring.GetProperty($p.Name).GetCustomAttributes([CouchReplication.ReplicationDocFieldAttribute], $false) }
            $positions = @($p.ParameterSets.Values.Position | Where-Object { $_ -ge 0 })
            $attributes = $p.ParameterSets.Values
            $pipeline = @(if ($attributes.ValueFromPipeline -contains $true) { 'True (ByValue)' }
                          if ($attributes.ValueFromPipelineByPropertyName -contains $true) { 'True (ByPropertyName)' }) -join ', '
            $w.WriteStartElement('command', 'parameter', $cmd)
            $w.WriteAttributeString('required', "$($attributes.IsMandatory -contains $true)".ToLower())
            $w.WriteAttributeString('position', $(if ($positions.Count) { "$($positions[0])" } else { 'named' }))
            $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { $pipeline } else { 'False' }))
            $w.WriteAttributeString('globbing', "$([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))".ToLower())
            $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            Described 'maml' 'description' $maml $text
            $w.WriteElementString('command', 'parameterValue', $cmd, $p.ParameterType.Name)
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
            if ($null -ne $field.Default) { $w.WriteElementString('dev', 'defaultValue', $dev, "$($field.Default)".ToLower()) }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        # INPUTS: each parameter that takes pipeline input, with its type and what it is.
        $w.WriteStartElement('command', 'inputTypes', $cmd)
        foreach ($p in $parameters | Sort-Object Name) {
            $attributes = $p.ParameterSets.Values
            $byValue = $attributes.ValueFromPipeline -contains $true
            if (-not $byValue -and $attributes.ValueFromPipelineByPropertyName -notcontains $true) { continue }
            $declaring = if ($p.IsDynamic) { [CouchReplication.CouchReplicationDoc] } else { $type.GetProperty($p.Name).DeclaringType }
            $how = if ($byValue) { 'piped as it is' } else { "the $($p.Name) property of piped objects" }
            $w.WriteStartElement('command', 'inputType', $cmd)
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
            Described 'maml' 'description' $maml "-$($p.Name), $($how): $(Text (Doc "P:$($declaring.FullName).$($p.Name)"))"
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'returnValues', $cmd)
        foreach ($output in $command.OutputType) {
            $w.WriteStartElement('command', 'returnValue', $cmd)
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $output.Name); $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $cmd)
        $number = 0
        foreach ($example in $examples[$command.Name]) {
            $number++
            $w.WriteStartElement('command', 'example', $cmd)
            $w.WriteElementString('maml', 'title', $maml, "-------------------------- Example $number --------------------------")
            $w.WriteElementString('dev', 'code', $dev, $example.Code)
            Described 'dev' 'remarks' $dev $example.Remarks
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'relatedLinks', $cmd)
        foreach ($related in @('about_CouchReplication') + ($commands.Name | Where-Object { $_ -ne $command.Name })) {
            $w.WriteStartElement('maml', 'navigationLink', $maml); $w.WriteElementString('maml', 'linkText', $maml, $related); $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.Close()
    "Help: $path"
}

# Get-Help -Online opens the first related link that has a URI: the project's home, in the packaged
# help only, as the repository's help names no home until the project has one.
function Add-OnlineHelpLink([string] $helpPath, [uri] $uri) {
    $help = [xml](Get-Content $helpPath -Raw)
    $namespaces = [System.Xml.XmlNamespaceManager]::new($help.NameTable)
    $namespaces.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $mamlNs = 'http://schemas.microsoft.com/maml/2004/10'
    foreach ($links in $help.SelectNodes('//command:relatedLinks', $namespaces)) {
        $link = $help.CreateElement('maml', 'navigationLink', $mamlNs)
        $text = $help.CreateElement('maml', 'linkText', $mamlNs); $text.InnerText = 'Online Version:'
        $target = $help.CreateElement('maml', 'uri', $mamlNs); $target.InnerText = $uri.AbsoluteUri
        [void]$link.AppendChild($text); [void]$link.AppendChild($target)
        [void]$links.PrependChild($link)
    }
    $help.Save($helpPath)
}

# A .nupkg as PowerShell galleries take it: the module's files at the root and a nuspec made from
# the manifest, with the tags PSResourceGet adds (PSModule, PSCmdlet_<name>, ...).
function New-ModulePackage {
    $manifest = Test-ModuleManifest $module -ErrorAction Stop
    $data = Import-PowerShellDataFile $module
    $package = Join-Path $PSScriptRoot 'out/package'
    $folder = Join-Path $package 'CouchReplication'
    Remove-Item $package -Recurse -Force -ErrorAction SilentlyContinue
    New-Item -ItemType Directory $folder -Force | Out-Null
    Copy-Item (Join-Path (Split-Path $module) '*') $folder -Recurse
    if ($ProjectUri) {
        $packaged = Join-Path $folder 'CouchReplication.psd1'
        $text = Get-Content $packaged -Raw
        $withUri = $text -replace '(?m)^(\s*)(LicenseUri\s*=.*)$', "`$1`$2`n`$1ProjectUri   = '$($ProjectUri.AbsoluteUri.Replace("'", "''"))'"
        if ($withUri -eq $text) { throw 'The manifest has no LicenseUri line to put ProjectUri beside.' }
        Set-Content $packaged $withUri -NoNewline
        $manifest = Test-ModuleManifest $packaged -ErrorAction Stop
        Add-OnlineHelpLink (Join-Path $folder 'en-US/CouchReplication.dll-Help.xml') $ProjectUri
    }

    $cmdlets = $data.CmdletsToExport
    $tags = @('PSModule', 'PSIncludes_Cmdlet') + ($cmdlets | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" }) + $data.PrivateData.PSData.Tags
    $escape = [System.Security.SecurityElement]
    $nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>CouchReplication</id>
    <version>$($manifest.Version)</version>
    <authors>$($escape::Escape($manifest.Author))</authors>
    <owners>$($escape::Escape($manifest.CompanyName))</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <licenseUrl>$($data.PrivateData.PSData.LicenseUri)</licenseUrl>
$(if ($ProjectUri) { "    <projectUrl>$($escape::Escape($ProjectUri.AbsoluteUri))</projectUrl>`n" })    <description>$($escape::Escape($manifest.Description))</description>
    <releaseNotes>$($escape::Escape($data.PrivateData.PSData.ReleaseNotes))</releaseNotes>
    <copyright>$($escape::Escape($manifest.Copyright))</copyright>
    <tags>$($tags -join ' ')</tags>
  </metadata>
</package>
"@
    $nupkg = Join-Path $package "CouchReplication.$($manifest.Version).nupkg"
    Add-Type -AssemblyName System.IO.Compression
    $zip = [System.IO.Compression.ZipFile]::Open($nupkg, 'Create')
    try {
        function Add-Entry([string] $name, [byte[]] $bytes) {
            $stream = $zip.CreateEntry($name).Open(); $stream.Write($bytes, 0, $bytes.Length); $stream.Dispose()
        }
        $utf8 = [System.Text.UTF8Encoding]::new($false)
        Add-Entry 'CouchReplication.nuspec' $utf8.GetBytes($nuspec)
        $types = '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
            '<Default Extension="nuspec" ContentType="application/octet" /><Default Extension="psd1" ContentType="application/octet" />' +
            '<Default Extension="ps1xml" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" />' +
            '<Default Extension="xml" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" />' +
            '<Override PartName="/LICENSE" ContentType="application/octet" /></Types>'
        Add-Entry '[Content_Types].xml' $utf8.GetBytes($types)
        foreach ($file in Get-ChildItem $folder -Recurse -File) {
            Add-Entry ([System.IO.Path]::GetRelativePath($folder, $file.FullName).Replace('\', '/')) ([System.IO.File]::ReadAllBytes($file.FullName))
        }
    }
    finally {
        $zip.Dispose()
    }
    "Module folder: $folder"
    "Package: $nupkg"
}

switch ($Task) {
    'Build' {
        Invoke-ModuleBuild
        "Module: $module"
    }
    'Help' {
        Invoke-ModuleBuild
        Import-Module $module -Force
        Write-MamlHelp
        # The help file goes into the module folder with the next build.
        Invoke-ModuleBuild
    }
    'Package' {
        if ($Configuration -ne 'Release') { throw 'Packages are built from Release.' }
        Invoke-ModuleBuild
        New-ModulePackage
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
        Import-Module $module -Force
        # Database files in a folder of their own: no server, nothing to install, nothing left behind.
        $work = Join-Path ([IO.Path]::GetTempPath()) "couchreplication-demo-$PID"
        New-Item -ItemType Directory -Force $work | Out-Null
        Push-Location $work
        try {
            Write-Host "Writing 2000 sample orders into orders.couchdb, a database file (SQLite) in $work..."
            1..2000 | ForEach-Object { @{ _id = 'order-{0:D5}' -f $_; total = $_ * 3; status = 'open' } } |
                Add-CouchDocument ./orders.couchdb -CreateDatabase

            Write-Host 'Replicating them into a second database file, orders-copy.couchdb...'
            $result = Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb -CreateTarget -WorkerBatchSize 100
            $result | Format-List Ok, ReplicationId, SessionId, SourceLastSeq, DocsRead, DocsWritten, DocWriteFailures, Source, Target | Out-Host

            Write-Host 'Replicating again: the checkpoint says everything is there already.'
            Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb | Format-List Ok, NoChanges, DocsWritten, SourceLastSeq | Out-Host

            Write-Host 'A continuous replication keeps the copy in sync; a new order arrives within moments.'
            $following = Start-CouchReplication ./orders.couchdb ./orders-copy.couchdb -Continuous
            Add-CouchDocument ./orders.couchdb @{ _id = 'order-new'; total = 42; status = 'open' }
            $deadline = (Get-Date).AddSeconds(30)
            while ($following.ToActiveTask().DocsWritten -lt 1 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Get-CouchActiveTask | Out-Host
            Write-Host 'Stopping it (a final checkpoint is written):'
            Get-CouchActiveTask | Stop-CouchReplication -PassThru | Format-Table ReplicationId, State, DocsWritten, CheckpointedSourceSeq | Out-Host

            Write-Host 'Is the copy complete? Compare-CouchDatabase checks every revision:'
            Compare-CouchDatabase ./orders.couchdb ./orders-copy.couchdb | Format-List Identical, DocumentsChecked, RevisionsChecked, Differences | Out-Host
            Write-Host 'The same commands take https:// URLs of CouchDB, Cloudant or PouchDB databases: see README.md.'
        }
        finally {
            Get-CouchActiveTask | Stop-CouchReplication
            Pop-Location
            Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
        }
    }
}
