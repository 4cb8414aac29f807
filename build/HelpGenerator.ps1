<#
.SYNOPSIS
    Writes en-US/CouchReplication.dll-Help.xml, the MAML Get-Help reads, from what the code says.
.DESCRIPTION
    Synopsis, description and parameter text from the XML documentation, syntax from the cmdlets
    themselves, examples from en-US/CouchReplication.Examples.psd1. It reads the cmdlets of the
    imported CouchReplication module and the XML documentation the build wrote beside them, so
    build.ps1 Help builds and imports the module first.
#>
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot

$commands = Get-Command -Module CouchReplication -CommandType Cmdlet | Sort-Object Name
$bin = Join-Path $root "src/CouchReplication/bin/$Configuration/net8.0"
# The cmdlets' own XML documentation, and the engine's for the document fields, which are
# the replication-document parameters (dynamic: one per CouchReplicationDoc property).
$members = foreach ($file in 'CouchReplication.xml', 'CouchReplication.Engine.xml') { ([xml](Get-Content (Join-Path $bin $file) -Raw)).doc.members.member }
$examples = Import-PowerShellDataFile (Join-Path $root 'en-US/CouchReplication.Examples.psd1')
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
$path = Join-Path $root 'en-US/CouchReplication.dll-Help.xml'
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
