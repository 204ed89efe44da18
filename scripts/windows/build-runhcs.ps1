<#
.SYNOPSIS
Builds runhcs.exe from hcsshim at a pinned commit, with our stdio-inheritance patch applied.

.DESCRIPTION
runhcs hands its stdio to its `runhcs shim` helper as handle numbers (--stdin/--stdout/--stderr), but a runhcs
built with Go 1.17 or later does not let the helper inherit those handles, so container output never arrives
(the exit code does). runhcs-inherit-stdio.patch (beside this script) passes them through
SysProcAttr.AdditionalInheritedHandles. See docs/runhcs-on-windows.md.

The script clones hcsshim with git into -WorkDir (a fresh clone each run), checks out -Commit, applies the patch
(`git apply --check` first), runs `go build` for windows/amd64 and prints `runhcs.exe --version`. The version
line carries "+inherit-stdio" and the commit line the hcsshim commit, so a patched build can be recognised.

Needs git and Go on PATH. Runs on Windows PowerShell 5.1 and PowerShell 7.

.PARAMETER Output
Where to write runhcs.exe (default: .\runhcs.exe). Its folder is created.

.PARAMETER Commit
The hcsshim commit to build (40 hex digits). Default: fb5aa2e9478c8f5dcaba00601cc7c7d10e1320cd, the v0.14.1
release, the commit the patch was written and checked against.

.PARAMETER Repository
The hcsshim git repository to clone (default: https://github.com/microsoft/hcsshim.git).

.PARAMETER WorkDir
Where to clone (default: %TEMP%\hcsshim-<commit>). Removed and recreated on each run.

.EXAMPLE
powershell -NoProfile -ExecutionPolicy Bypass -File scripts\windows\build-runhcs.ps1 -Output C:\runhcs\runhcs.exe
#>
[CmdletBinding()]
param(
  [string]$Output = 'runhcs.exe',
  [ValidatePattern('^[0-9a-f]{40}$')]
  [string]$Commit = 'fb5aa2e9478c8f5dcaba00601cc7c7d10e1320cd',
  [string]$Repository = 'https://github.com/microsoft/hcsshim.git',
  [string]$WorkDir = ''
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The release the default commit is; other commits are labelled by their short hash.
$PinnedCommit = 'fb5aa2e9478c8f5dcaba00601cc7c7d10e1320cd'
$PinnedLabel = 'v0.14.1'
$PatchMarker = '+inherit-stdio'
$Patch = Join-Path $PSScriptRoot 'runhcs-inherit-stdio.patch'

function Fail([string]$Message) {
  Write-Host "build-runhcs: $Message"
  exit 1
}

# Runs a native command; stops with a clear message when it exits non-zero. Windows PowerShell 5.1 turns a
# native command's stderr into errors under ErrorActionPreference=Stop, so it is relaxed around the call.
function Invoke-Native([string]$What, [scriptblock]$Command) {
  $saved = $ErrorActionPreference
  $ErrorActionPreference = 'Continue'
  try { & $Command } finally { $ErrorActionPreference = $saved }
  if ($LASTEXITCODE -ne 0) { Fail "$What failed (exit code $LASTEXITCODE)" }
}

function Require-Tool([string]$Name, [string]$Hint) {
  if (-not (Get-Command $Name -ErrorAction SilentlyContinue)) { Fail "$Name not found on PATH: $Hint" }
}

Require-Tool 'git' 'install Git for Windows (https://git-scm.com/download/win) and reopen the shell'
Require-Tool 'go' 'install Go (https://go.dev/dl/; hcsshim v0.14.1 needs Go 1.23 or later) and reopen the shell'
if (-not (Test-Path -LiteralPath $Patch)) { Fail "patch not found: $Patch" }

# Go before 1.21 cannot even read hcsshim's go.mod ("go 1.23.0"); say so instead of its parse error.
$goVersion = "$(& go env GOVERSION)".Trim()
if ($goVersion -notmatch '^go1\.(\d+)') { Fail "cannot read the Go version from 'go env GOVERSION' (Go older than 1.16?)" }
if ([int]$Matches[1] -lt 21) { Fail "Go $goVersion is too old: hcsshim needs Go 1.21 or later (1.23 for v0.14.1)" }

$Output = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Output)
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "hcsshim-$($Commit.Substring(0, 12))" }
$WorkDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($WorkDir)

Write-Host "build-runhcs: hcsshim $Commit from $Repository into $WorkDir"
if (Test-Path -LiteralPath $WorkDir) { Remove-Item -LiteralPath $WorkDir -Recurse -Force }
New-Item -ItemType Directory -Path $WorkDir | Out-Null
Invoke-Native 'git init' { git -C $WorkDir init -q }
Invoke-Native 'git config' { git -C $WorkDir config core.longpaths true }
Invoke-Native 'git remote add' { git -C $WorkDir remote add origin $Repository }
# GitHub serves a commit by its hash; a server that does not gets a full fetch instead.
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'
git -C $WorkDir fetch -q --depth 1 origin $Commit
$ErrorActionPreference = $saved
if ($LASTEXITCODE -ne 0) {
  Write-Host 'build-runhcs: fetching the commit alone failed; fetching the whole repository'
  Invoke-Native 'git fetch' { git -C $WorkDir fetch -q --tags origin }
}
Invoke-Native "git checkout $Commit" { git -C $WorkDir -c advice.detachedHead=false checkout -q $Commit }
$head = (& git -C $WorkDir rev-parse HEAD).Trim()
if ($head -ne $Commit) { Fail "checked out $head, expected $Commit" }

# The patch is applied with LF line endings whatever the checkout of this repository did to it (hcsshim's
# .gitattributes checks its sources out with LF).
$patchText = [IO.File]::ReadAllText($Patch) -replace "`r`n", "`n"
$patchLf = Join-Path $WorkDir 'runhcs-inherit-stdio.patch'
[IO.File]::WriteAllText($patchLf, $patchText, (New-Object Text.UTF8Encoding($false)))
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'
git -C $WorkDir apply --check $patchLf
$ErrorActionPreference = $saved
if ($LASTEXITCODE -ne 0) {
  Fail "runhcs-inherit-stdio.patch does not apply at $Commit (it was written for $PinnedCommit, $PinnedLabel)"
}
Invoke-Native 'git apply' { git -C $WorkDir apply $patchLf }
Remove-Item -LiteralPath $patchLf
Write-Host 'build-runhcs: applied runhcs-inherit-stdio.patch'

$label = if ($Commit -eq $PinnedCommit) { $PinnedLabel } else { $Commit.Substring(0, 12) }
$version = "$label$PatchMarker"
$outDir = Split-Path -Parent $Output
if (-not (Test-Path -LiteralPath $outDir)) { New-Item -ItemType Directory -Path $outDir | Out-Null }

$savedEnv = @{ GOOS = $env:GOOS; GOARCH = $env:GOARCH; CGO_ENABLED = $env:CGO_ENABLED }
$env:GOOS = 'windows'
$env:GOARCH = 'amd64'
$env:CGO_ENABLED = '0'
Push-Location $WorkDir
try {
  Invoke-Native 'go build' {
    go build -trimpath -ldflags "-X main.version=$version -X main.gitCommit=$Commit" -o $Output ./cmd/runhcs
  }
} finally {
  Pop-Location
  foreach ($k in $savedEnv.Keys) {
    if ($null -eq $savedEnv[$k]) { Remove-Item -Path "Env:$k" -ErrorAction SilentlyContinue }
    else { Set-Item -Path "Env:$k" -Value $savedEnv[$k] }
  }
}

Write-Host "build-runhcs: built $Output"
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'
$shown = & $Output --version
$ErrorActionPreference = $saved
if ($LASTEXITCODE -ne 0) { Fail "$Output --version failed (exit code $LASTEXITCODE)" }
$shown | ForEach-Object { Write-Host "  $_" }
if (-not (($shown -join "`n").Contains($PatchMarker))) { Fail "$Output --version does not show $PatchMarker" }
