# build.ps1 Package gives a module folder and a .nupkg a gallery takes.
Describe 'build.ps1 Package' {
    BeforeAll {
        $root = Join-Path $PSScriptRoot '..'
        $output = & pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') Package 2>&1
        $script:exit = $LASTEXITCODE
        $script:folder = Join-Path $root 'out/package/CouchReplication'
        $script:manifest = Import-PowerShellDataFile (Join-Path $root 'CouchReplication.psd1')
        $script:nupkg = Join-Path $root "out/package/CouchReplication.$($manifest.ModuleVersion).nupkg"
        $script:buildOutput = $output | Out-String
    }

    It 'succeeds' {
        $exit | Should -Be 0 -Because $buildOutput
    }

    It 'writes a module folder whose manifest is complete and that imports with its four cmdlets' {
        $info = Test-ModuleManifest (Join-Path $folder 'CouchReplication.psd1')
        $info.Version | Should -Be $manifest.ModuleVersion
        $info.Guid | Should -Not -Be ([guid]::Empty)
        $info.Author | Should -Not -BeNullOrEmpty
        $info.Description | Should -Not -BeNullOrEmpty
        $info.CompatiblePSEditions | Should -Be @('Core')
        $info.PowerShellVersion | Should -Be ([version]'7.4')
        $info.Tags | Should -Contain 'CouchDB'
        $info.ReleaseNotes | Should -Not -BeNullOrEmpty
        $info.LicenseUri | Should -Not -BeNullOrEmpty
        $commands = pwsh -NoProfile -NonInteractive -Command "Import-Module '$folder/CouchReplication.psd1'; (Get-Command -Module CouchReplication).Name"
        $commands | Sort-Object | Should -Be @('Get-CouchActiveTask', 'New-CouchReplicationDoc', 'Start-CouchReplication', 'Stop-CouchReplication')
    }

    It 'writes a .nupkg with the nuspec and every module file' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $names = $zip.Entries.FullName
            foreach ($file in Get-ChildItem $folder -Recurse -File) {
                $names | Should -Contain ([System.IO.Path]::GetRelativePath($folder, $file.FullName).Replace('\', '/'))
            }
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('CouchReplication.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd()
            $reader.Dispose()
            $nuspec.package.metadata.id | Should -Be 'CouchReplication'
            $nuspec.package.metadata.version | Should -Be $manifest.ModuleVersion
            $nuspec.package.metadata.tags | Should -Match 'PSModule'
            $nuspec.package.metadata.tags | Should -Match 'PSCmdlet_Start-CouchReplication'
        }
        finally {
            $zip.Dispose()
        }
    }
}
