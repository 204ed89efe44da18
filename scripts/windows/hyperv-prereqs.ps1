<#
.SYNOPSIS
Prepares a self-hosted Windows Server + Hyper-V agent for scripts/windows-e2e.mjs (the windows_hyperv job).

.DESCRIPTION
Checks, or installs where that is safe, everything the end-to-end run needs, and stops at the first thing
missing with a message that says what to do:
  1. Node (the job installs it with NodeTool@0; this checks the major version);
  2. containerd, running as the Windows service "containerd", and ctr (on PATH or beside containerd.exe);
  3. runhcs.exe built by build-runhcs.ps1 (hcsshim at its pinned commit + runhcs-inherit-stdio.patch), cached
     under -CacheDir by commit and patch hash, and copied beside the shim (-ShimDir\runhcs.exe), where the
     shim finds it when containerd's RUNHCS_BINARY and PATH name no runhcs.exe. A runhcs.exe that containerd's
     RUNHCS_BINARY or the machine PATH would pick first must be a patched build too: an unpatched one loses
     container output (docs/runhcs-on-windows.md);
  4. the Windows image the e2e runs: E2E_IMAGE (or -Image) when set, else mcr.microsoft.com/windows/nanoserver
     with the tag of the host build (windows-image-tags.json: 17763 ltsc2019, 20348 ltsc2022, 26100 ltsc2025),
     pulled with ctr into the e2e namespace.
Under Azure Pipelines it sets the job variables E2E_IMAGE (and CTR when ctr is not on PATH) for the e2e step.

Runs on Windows PowerShell 5.1 and PowerShell 7.
#>
[CmdletBinding()]
param(
  [string]$ShimDir = 'build',
  [string]$CacheDir = '',
  [string]$Image = $env:E2E_IMAGE,
  [string]$Address = $(if ($env:CONTAINERD_ADDRESS) { $env:CONTAINERD_ADDRESS } else { '\\.\pipe\containerd-containerd' }),
  [string]$Namespace = $(if ($env:E2E_NAMESPACE) { $env:E2E_NAMESPACE } else { 'shim-e2e' }),
  [int]$NodeMajor = 20,
  # Overwrite an unpatched runhcs.exe found on the machine PATH with the patched build instead of failing.
  [switch]$ReplaceRunhcsOnPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PatchMarker = '+inherit-stdio'
$BuildScript = Join-Path $PSScriptRoot 'build-runhcs.ps1'
$PatchFile = Join-Path $PSScriptRoot 'runhcs-inherit-stdio.patch'
$TagsFile = Join-Path $PSScriptRoot 'windows-image-tags.json'

function Fail([string]$Message) {
  if ($env:TF_BUILD) { Write-Host "##vso[task.logissue type=error]hyperv-prereqs: $Message" }
  Write-Host "hyperv-prereqs: $Message"
  exit 1
}
function Say([string]$Message) { Write-Host "hyperv-prereqs: $Message" }
function Set-JobVariable([string]$Name, [string]$Value) {
  if ($env:TF_BUILD) { Write-Host "##vso[task.setvariable variable=$Name]$Value" }
  Say "$Name=$Value"
}
# Runs a native command with ErrorActionPreference relaxed (Windows PowerShell 5.1 turns native stderr into
# errors under Stop); returns its output lines; the exit code is in $LASTEXITCODE.
function Invoke-Quiet([scriptblock]$Command) {
  $saved = $ErrorActionPreference
  $ErrorActionPreference = 'Continue'
  try { & $Command 2>&1 | ForEach-Object { "$_" } } finally { $ErrorActionPreference = $saved }
}
function Test-Patched([string]$Exe) {
  $out = Invoke-Quiet { & $Exe --version }
  return ($LASTEXITCODE -eq 0) -and (($out -join "`n").Contains($PatchMarker))
}

# 1. Node
if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
  Fail "node not found on PATH: install Node $NodeMajor (the pipeline's NodeTool@0 step does) and retry"
}
$nodeVersion = "$(node --version)".Trim()
if ($nodeVersion -notmatch '^v(\d+)\.' -or [int]$Matches[1] -lt $NodeMajor) {
  Fail "node $nodeVersion found, Node $NodeMajor or later is needed"
}
Say "node $nodeVersion"

# 2. containerd (service) and ctr
$service = Get-Service -Name containerd -ErrorAction SilentlyContinue
if (-not $service) {
  Fail ('containerd is not installed as the Windows service "containerd": install containerd for Windows, then ' +
    '`containerd.exe --register-service` and `Start-Service containerd` (as Administrator)')
}
if ($service.Status -ne 'Running') {
  Say "starting the containerd service (it was $($service.Status))"
  try { Start-Service -Name containerd } catch { Fail "cannot start the containerd service: $_" }
}
$servicePath = (Get-CimInstance Win32_Service -Filter "Name='containerd'").PathName
$containerdExe = if ($servicePath -match '^"([^"]+)"') { $Matches[1] } else { ($servicePath -split ' ')[0] }
$ctr = Get-Command ctr.exe -ErrorAction SilentlyContinue | Select-Object -First 1
if ($ctr) {
  $ctrPath = $ctr.Path
} else {
  $ctrPath = Join-Path (Split-Path -Parent $containerdExe) 'ctr.exe'
  if (-not (Test-Path -LiteralPath $ctrPath)) {
    Fail "ctr.exe is neither on PATH nor beside ${containerdExe}: it ships in containerd's Windows release archive"
  }
  Set-JobVariable 'CTR' $ctrPath
}
$ctrVersion = Invoke-Quiet { & $ctrPath --address $Address version }
if ($LASTEXITCODE -ne 0) {
  Fail "ctr cannot reach containerd at $Address (set CONTAINERD_ADDRESS if it listens elsewhere): $($ctrVersion -join ' ')"
}
Say "containerd at $Address ($containerdExe), ctr $ctrPath"

# 3. runhcs.exe: patched, cached by hcsshim commit and patch hash, installed beside the shim
$buildText = [IO.File]::ReadAllText($BuildScript)
if ($buildText -notmatch "\`$PinnedCommit = '([0-9a-f]{40})'") { Fail "no pinned commit found in $BuildScript" }
$commit = $Matches[1]
$patchBytes = [Text.Encoding]::UTF8.GetBytes(([IO.File]::ReadAllText($PatchFile) -replace "`r`n", "`n"))
$sha = [Security.Cryptography.SHA256]::Create()
$patchHash = (($sha.ComputeHash($patchBytes) | ForEach-Object { $_.ToString('x2') }) -join '').Substring(0, 12)
if (-not $CacheDir) {
  $base = if ($env:AGENT_TOOLSDIRECTORY) { $env:AGENT_TOOLSDIRECTORY } else { $env:ProgramData }
  $CacheDir = Join-Path $base 'containerd-shim-runhcs-v1\runhcs'
}
$cached = Join-Path $CacheDir "$($commit.Substring(0, 12))-$patchHash\runhcs.exe"
if ((Test-Path -LiteralPath $cached) -and (Test-Patched $cached)) {
  Say "runhcs.exe from the cache: $cached"
} else {
  Say "building runhcs.exe (hcsshim $commit + runhcs-inherit-stdio.patch) into $cached"
  & $BuildScript -Output $cached -Commit $commit
  if ($LASTEXITCODE -ne 0) { Fail "build-runhcs.ps1 failed (exit code $LASTEXITCODE)" }
}
if (-not (Test-Path -LiteralPath $ShimDir)) { New-Item -ItemType Directory -Path $ShimDir | Out-Null }
$installed = Join-Path (Resolve-Path -LiteralPath $ShimDir).Path 'runhcs.exe'
Copy-Item -LiteralPath $cached -Destination $installed -Force
Say "runhcs.exe installed beside the shim: $installed"

# The shim looks runhcs up as go-runhcs does: RUNHCS_BINARY, then runhcs.exe on PATH, then beside the shim.
# containerd starts the shim with the service's environment, so that is the one that counts here.
$serviceEnv = (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\containerd' -ErrorAction SilentlyContinue)
$envLines = @()
$chosen = $null
if ($serviceEnv -and ($serviceEnv.PSObject.Properties.Name -contains 'Environment')) { $envLines = @($serviceEnv.Environment) }
foreach ($line in $envLines) {
  if ($line -match '^RUNHCS_BINARY=(.+)$') {
    $named = $Matches[1]
    if (-not (Test-Path -LiteralPath $named) -or -not (Test-Patched $named)) {
      Fail ("containerd's service environment sets RUNHCS_BINARY=$named, which is not a patched runhcs.exe " +
        '(its --version lacks +inherit-stdio): point it at a build of build-runhcs.ps1 or remove it')
    }
    Say "containerd's RUNHCS_BINARY names a patched runhcs.exe: $named"
    $chosen = $named
  }
}
$machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
foreach ($dir in ($machinePath -split ';' | Where-Object { $_ -and -not $chosen })) {
  # [IO.Path]::Combine, not Join-Path: Windows PowerShell's Join-Path throws for a drive that does not exist.
  try { $candidate = [IO.Path]::Combine([Environment]::ExpandEnvironmentVariables($dir.Trim('" ')), 'runhcs.exe') }
  catch { continue }
  if (-not (Test-Path -LiteralPath $candidate -PathType Leaf)) { continue }
  if (Test-Patched $candidate) {
    Say "the machine PATH's runhcs.exe is a patched build: $candidate"
  } elseif ($ReplaceRunhcsOnPath) {
    Copy-Item -LiteralPath $cached -Destination $candidate -Force
    Say "replaced the unpatched runhcs.exe on the machine PATH: $candidate"
  } else {
    Fail ("$candidate is on the machine PATH, so the shim runs it before $installed, and it is not a patched " +
      'build: container output would be lost. Replace or remove it, or rerun with -ReplaceRunhcsOnPath')
  }
  break
}

# 4. The image: one whose build matches the host (process isolation needs the host's build)
if ($Image) {
  Say "image from E2E_IMAGE/-Image: $Image"
} else {
  $hostBuild = [Environment]::OSVersion.Version.Build
  $current = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction SilentlyContinue
  if ($current -and ($current.PSObject.Properties.Name -contains 'CurrentBuild')) { $hostBuild = [int]$current.CurrentBuild }
  $tags = Get-Content -Raw -LiteralPath $TagsFile | ConvertFrom-Json
  $known = ($tags.PSObject.Properties | ForEach-Object { "$($_.Name) -> $($_.Value)" }) -join ', '
  $tagProperty = $tags.PSObject.Properties["$hostBuild"]
  if (-not $tagProperty) {
    Fail ("host build $hostBuild has no nanoserver tag in windows-image-tags.json ($known): set E2E_IMAGE to an " +
      'image built for this host')
  }
  $Image = "mcr.microsoft.com/windows/nanoserver:$($tagProperty.Value)"
  Say "host build $hostBuild -> $Image"
}
Say "pulling $Image into namespace $Namespace (first pull can take many minutes)"
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'
& $ctrPath --address $Address --namespace $Namespace image pull $Image
$ErrorActionPreference = $saved
if ($LASTEXITCODE -ne 0) { Fail "ctr image pull $Image failed (exit code $LASTEXITCODE)" }
Set-JobVariable 'E2E_IMAGE' $Image
Say 'all prerequisites in place'
