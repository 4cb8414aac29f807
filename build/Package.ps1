<#
.SYNOPSIS
    Writes out/package/CouchReplication (the module folder, ready for Publish-PSResource -Path) and
    out/package/CouchReplication.<version>.nupkg from the module as last built.
.PARAMETER Module
    The manifest of the built module folder (build.ps1 passes out/CouchReplication's).
.PARAMETER ProjectUri
    The project's public home (see build.ps1 -ProjectUri, which checks it).
#>
param(
    [Parameter(Mandatory)]
    [string] $Module,

    [uri] $ProjectUri
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot

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
$manifest = Test-ModuleManifest $module -ErrorAction Stop
$data = Import-PowerShellDataFile $module
$package = Join-Path $root 'out/package'
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
