#!/usr/bin/env bash
# Builds Paper Reader's installer from a clean checkout:
#   1. a fresh build venv (build/venv) with only the app, its run-time dependencies and PyInstaller;
#   2. the one-folder bundle dist/paper-reader/ (packaging/paper-reader.spec), with the licences
#      of everything it carries in dist/paper-reader/licenses/;
#   3. the platform's installer: dist/paper-reader_<version>_<arch>.deb on Linux,
#      dist/Paper-Reader-<version>.dmg on macOS, dist/Paper-Reader-<version>-setup.exe on Windows
#      (Inno Setup's iscc must be on PATH).
# Usage: packaging/build.sh            (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"

rm -rf build/venv build/pyinstaller build/icons dist/paper-reader "dist/Paper Reader.app"
"$python" -m venv build/venv
if [ -x build/venv/bin/python ]; then venv_python=build/venv/bin/python
else venv_python=build/venv/Scripts/python.exe; fi
export PIP_DISABLE_PIP_VERSION_CHECK=1  # the venv's own pip is enough; no self-upgrade mid-build
"$venv_python" -m pip install -q ".[bundle]"

"$venv_python" packaging/make_icons.py build/icons
if [ "$(uname -s)" = Darwin ]; then
  iconutil -c icns build/icons/paper-reader.iconset -o build/icons/paper-reader.icns
fi
"$venv_python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/paper-reader.spec
"$venv_python" packaging/collect_licenses.py dist/paper-reader
if [ "$(uname -s)" = Linux ]; then
  # Qt's ICU data down to what QtCore uses it for (collation): 31 -> 5 MB
  for icudata in dist/paper-reader/_internal/PySide6/Qt/lib/libicudata.so.*; do
    "$venv_python" packaging/trim_icu.py "$icudata"
  done
  # symbol tables and debug info (libpython, the stdlib's modules, tokenizers, PDFium)
  "$venv_python" packaging/strip_bundle.py dist/paper-reader
fi

version="$("$venv_python" -c 'import reader; print(reader.__version__)')"
case "$(uname -s)" in
  Linux)
    "$venv_python" packaging/make_deb.py --bundle dist/paper-reader --icons build/icons --out dist ;;
  Darwin)
    cp -R dist/paper-reader/licenses "dist/Paper Reader.app/Contents/Resources/licenses"
    hdiutil create -volname "Paper Reader" -srcfolder "dist/Paper Reader.app" -ov -format UDZO \
      "dist/Paper-Reader-$version.dmg" ;;
  MINGW*|MSYS*|CYGWIN*)
    iscc "/DAppVersion=$version" "/DSourceDir=$(cygpath -w "$PWD/dist/paper-reader")" \
      "/DIconFile=$(cygpath -w "$PWD/build/icons/paper-reader.ico")" \
      "/O$(cygpath -w "$PWD/dist")" packaging/windows/paper-reader.iss ;;
esac
echo "built: $(ls dist)"
