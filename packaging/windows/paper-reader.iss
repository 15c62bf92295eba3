; Inno Setup script for Paper Reader's Windows installer. packaging/build.sh calls:
;   iscc /DAppVersion=X.Y.Z /DSourceDir=<dist\paper-reader> /DIconFile=<paper-reader.ico> /O<dist> paper-reader.iss
; Per-user install by default (no administrator rights needed); the library in the user's
; AppData folder is never removed by the uninstaller.

#ifndef AppVersion
  #error Pass /DAppVersion=... (packaging/build.sh does)
#endif
#ifndef SourceDir
  #error Pass /DSourceDir=... (the PyInstaller one-folder bundle)
#endif

[Setup]
AppId={{6B1D3C52-8F0B-4B8E-9C84-2E7B4F3A9D11}
AppName=Paper Reader
AppVersion={#AppVersion}
AppPublisher=The Paper Reader developers
DefaultDirName={autopf}\Paper Reader
DefaultGroupName=Paper Reader
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=Paper-Reader-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
#ifdef IconFile
SetupIconFile={#IconFile}
#endif
UninstallDisplayIcon={app}\Paper Reader.exe
LicenseFile={#SourceDir}\_internal\resources\licenses\NOTICE.md

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Paper Reader"; Filename: "{app}\Paper Reader.exe"
Name: "{autodesktop}\Paper Reader"; Filename: "{app}\Paper Reader.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a &desktop shortcut"; GroupDescription: "Additional shortcuts:"; Flags: unchecked

[Run]
Filename: "{app}\Paper Reader.exe"; Description: "Start Paper Reader"; Flags: nowait postinstall skipifsilent
