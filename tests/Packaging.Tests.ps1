# build.ps1 Package gives a module folder and a .nupkg a gallery takes.
Describe 'build.ps1 Package' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
        $script:pwsh = Get-TestPwsh
        $root = Join-Path $PSScriptRoot '..'
        $output = & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') Package 2>&1
        $script:exit = $LASTEXITCODE
        $script:folder = Join-Path $root 'out/package/CouchReplication'
        $script:manifest = Import-PowerShellDataFile (Join-Path $root 'CouchReplication.psd1')
        $script:nupkg = Join-Path $root "out/package/CouchReplication.$($manifest.ModuleVersion).nupkg"
        $script:buildOutput = $output | Out-String

        # The entry names of the .nupkg and its nuspec.
        function Read-Nupkg {
            Add-Type -AssemblyName System.IO.Compression.FileSystem
            $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
            try {
                $reader = [System.IO.StreamReader]::new($zip.GetEntry('CouchReplication.nuspec').Open())
                try { [pscustomobject]@{ Names = $zip.Entries.FullName; Nuspec = [xml]$reader.ReadToEnd() } }
                finally { $reader.Dispose() }
            }
            finally {
                $zip.Dispose()
            }
        }
    }

    It 'succeeds' {
        $exit | Should -Be 0 -Because $buildOutput
    }

    It 'writes a module folder whose manifest is complete and that imports with its cmdlets' {
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
        Join-Path $folder 'LICENSE' | Should -Exist
        $commands = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$folder/CouchReplication.psd1'; (Get-Command -Module CouchReplication).Name"
        $commands | Sort-Object | Should -Be @('Add-CouchDocument', 'Compare-CouchDatabase', 'Get-CouchActiveTask', 'Get-CouchReplicationDoc', 'Get-CouchReplicationOption', 'New-CouchReplicationDoc', 'Set-CouchReplicationOption', 'Start-CouchReplication', 'Stop-CouchReplication')
    }

    It 'writes a .nupkg with the nuspec and every module file' {
        $package = Read-Nupkg
        foreach ($file in Get-ChildItem $folder -Recurse -File) {
            $package.Names | Should -Contain ([System.IO.Path]::GetRelativePath($folder, $file.FullName).Replace('\', '/'))
        }
        $package.Nuspec.package.metadata.id | Should -Be 'CouchReplication'
        $package.Nuspec.package.metadata.version | Should -Be $manifest.ModuleVersion
        $package.Nuspec.package.metadata.tags | Should -Match 'PSModule'
        $package.Nuspec.package.metadata.tags | Should -Match 'PSCmdlet_Start-CouchReplication'
    }

    It 'ships SQLite''s native library for each platform the module supports, in the folder and the .nupkg' {
        $libraries = @{
            'linux-x64' = 'libe_sqlite3.so'; 'linux-arm64' = 'libe_sqlite3.so'; 'linux-musl-x64' = 'libe_sqlite3.so'
            'win-x64' = 'e_sqlite3.dll'; 'win-arm64' = 'e_sqlite3.dll'
            'osx-x64' = 'libe_sqlite3.dylib'; 'osx-arm64' = 'libe_sqlite3.dylib'
        }
        $names = (Read-Nupkg).Names
        foreach ($rid in $libraries.Keys) {
            $library = "runtimes/$rid/native/$($libraries[$rid])"
            Join-Path $folder $library | Should -Exist
            (Get-Item (Join-Path $folder $library)).Length | Should -BeGreaterThan 100KB
            $names | Should -Contain $library
        }
        (Get-ChildItem (Join-Path $folder 'runtimes') -Directory).Name | Sort-Object | Should -Be ($libraries.Keys | Sort-Object)
    }

    It 'writes -ProjectUri into the packaged manifest and the nuspec, and refuses one that is not an http(s) URL' {
        $uri = 'https://example.invalid/couchreplication'
        $output = & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') Package -ProjectUri $uri 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        (Test-ModuleManifest (Join-Path $folder 'CouchReplication.psd1')).ProjectUri | Should -Be $uri
        (Read-Nupkg).Nuspec.package.metadata.projectUrl | Should -Be $uri
        $links = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$folder/CouchReplication.psd1'; (Get-Command -Module CouchReplication).Name | ForEach-Object { (Get-Help `$_).relatedLinks.navigationLink[0].uri }"
        $cmdlets = @((Import-PowerShellDataFile (Join-Path $root 'CouchReplication.psd1')).CmdletsToExport).Count
        $links | Should -HaveCount $cmdlets
        $links | Should -Be (@($uri) * $cmdlets) -Because 'Get-Help -Online opens the first related link with a URI'

        $refused = & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') Package -ProjectUri 'not-a-url' 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $refused | Should -Match 'ProjectUri must be an absolute http or https URL'
    }
}

# What a user of a gallery does with the package: find it, install it, import it, run it. In a pwsh
# of its own whose HOME is a temporary folder, so neither the repository registration nor the
# installed module touches the user's. Needs Microsoft.PowerShell.PSResourceGet (shipped with pwsh
# releases; a pwsh built from source may lack it).
$psResourceGet = [bool](Get-Module -ListAvailable Microsoft.PowerShell.PSResourceGet)
Describe 'Gallery round trip with PSResourceGet' -Skip:(-not $psResourceGet) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'helpers/TestPwsh.psm1') -Force
        $pwsh = Get-TestPwsh
        $root = Join-Path $PSScriptRoot '..'
        $script:manifest = Import-PowerShellDataFile (Join-Path $root 'CouchReplication.psd1')
        $folder = Join-Path $root 'out/package/CouchReplication'
        $nupkg = Join-Path $root "out/package/CouchReplication.$($manifest.ModuleVersion).nupkg"
        if (-not (Test-Path $nupkg)) { & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') Package | Out-Null }
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("couchrepl-gallery-" + [guid]::NewGuid().ToString('N'))
        $packaged = New-Item -ItemType Directory (Join-Path $work 'packaged')
        $published = New-Item -ItemType Directory (Join-Path $work 'published')
        Copy-Item $nupkg $packaged
        $script_ = {
            param($Packaged, $Published, $Folder, $Pwsh)
            $ErrorActionPreference = 'Stop'
            Register-PSResourceRepository -Name Packaged -Uri $Packaged -Trusted
            Register-PSResourceRepository -Name Published -Uri $Published -Trusted
            $found = Find-PSResource -Name CouchReplication -Repository Packaged
            Install-PSResource -Name CouchReplication -Repository Packaged -Scope CurrentUser -TrustRepository
            $installed = Get-InstalledPSResource -Name CouchReplication -Scope CurrentUser
            $imported = & $Pwsh -NoProfile -NonInteractive -Command 'Import-Module CouchReplication -ErrorAction Stop
                (Get-Module CouchReplication).Path
                (Get-Command -Module CouchReplication).Name -join ","
                ((New-CouchReplicationDoc -Source http://127.0.0.1:5984/a -Target http://127.0.0.1:5984/b -Continuous).ToJson() | ConvertFrom-Json).continuous'
            Publish-PSResource -Path $Folder -Repository Published
            $republished = Find-PSResource -Name CouchReplication -Repository Published
            [pscustomobject]@{
                FoundVersion = [string]$found.Version; FoundTags = @($found.Tags); FoundDescription = $found.Description
                FoundLicense = [string]$found.LicenseUri
                InstalledVersion = [string]$installed.Version; InstalledLocation = $installed.InstalledLocation
                ModulePath = $imported[0]; Commands = $imported[1]; DocContinuous = $imported[2]
                PublishedVersion = [string]$republished.Version; PublishedFiles = @(Get-ChildItem $Published -Name)
            } | ConvertTo-Json -Compress
        }
        $env_ = @{ HOME = $work; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null }
        $saved = @{}
        foreach ($name in $env_.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $env_[$name]) }
        # In the temporary folder too: NuGet inside PSResourceGet may write its settings relative to it.
        Push-Location $work
        try {
            $output = & $pwsh -NoProfile -NonInteractive -Command $script_ -args $packaged.FullName, $published.FullName, (Resolve-Path $folder).Path, $pwsh 2>&1
        }
        finally {
            Pop-Location
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
        $script:exit = $LASTEXITCODE
        $script:text = $output | Out-String
        $script:result = if ($exit -eq 0) { @($output)[-1] | ConvertFrom-Json }
    }

    AfterAll {
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'runs' {
        $exit | Should -Be 0 -Because $text
    }

    It 'finds the package built by build.ps1 Package with the manifest''s version, description, tags and license' {
        $result.FoundVersion | Should -Be $manifest.ModuleVersion
        $result.FoundDescription | Should -Be $manifest.Description
        $result.FoundTags | Should -Contain 'CouchDB'
        $result.FoundLicense | Should -Be $manifest.PrivateData.PSData.LicenseUri
    }

    It 'installs it for the current user (under the temporary HOME), and it imports and runs there' {
        $result.InstalledVersion | Should -Be $manifest.ModuleVersion
        $result.InstalledLocation | Should -BeLike "$work*"
        $result.ModulePath | Should -BeLike "$work*CouchReplication.dll"
        $result.Commands.Split(',') | Sort-Object | Should -Be @('Add-CouchDocument', 'Compare-CouchDatabase', 'Get-CouchActiveTask', 'Get-CouchReplicationDoc', 'Get-CouchReplicationOption', 'New-CouchReplicationDoc', 'Set-CouchReplicationOption', 'Start-CouchReplication', 'Stop-CouchReplication')
        $result.DocContinuous | Should -Be 'True'
    }

    It 'publishes the module folder with Publish-PSResource' {
        $result.PublishedVersion | Should -Be $manifest.ModuleVersion
        $result.PublishedFiles | Should -Contain "CouchReplication.$($manifest.ModuleVersion).nupkg"
    }
}
