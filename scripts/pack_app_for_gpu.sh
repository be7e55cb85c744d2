#!/usr/bin/env bash
# The app's Qt, trimmed to what an offscreen window needs, for a GPU machine that has PyTorch but no
# Qt and no network: PySide6's QtCore, QtGui, QtWidgets, QtOpenGL(Widgets) and QtSvg with their Qt libraries, the
# offscreen platform plugin and the SVG icon plugins, shiboken6, pyqtgraph, qtawesome and qtpy, plus the
# system libraries those load that a bare machine may lack (glibc and the C++ runtime excepted).
#
#   bash scripts/pack_app_for_gpu.sh            # writes data-cache/gpu-app/app-offscreen.tar.xz
#
# The Python parts are abi3 / pure Python: built for this Python, they import on any CPython >= 3.9.
# scripts/gpu_session.sh unpacks it to a temporary folder, keeps only the system libraries the GPU
# machine lacks (its own win), and runs scripts/app_grid.py with it. Prints the size, which counts
# against the 64 MiB a device run may carry.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
OUT="${PACK_APP_DIR:-data-cache/gpu-app}/app-offscreen.tar.xz"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/site" "$STAGE/lib" "$(dirname "$OUT")"

SITE="$("$PYTHON" -c 'import os, PySide6; print(os.path.dirname(os.path.dirname(PySide6.__file__)))')"
QT="$SITE/PySide6"
echo "Qt from $QT"

# PySide6: its Python files, the modules the app and pyqtgraph import, their Qt libraries and plugins.
mkdir -p "$STAGE/site/PySide6/Qt/lib" "$STAGE/site/PySide6/Qt/plugins"
cp "$QT"/*.py "$STAGE/site/PySide6/"
# pyqtgraph imports QtOpenGL (and QtOpenGLWidgets) at start-up, even where it draws no GL.
cp "$QT"/Qt{Core,Gui,Widgets,OpenGL,OpenGLWidgets,Svg}.abi3.so "$QT"/libpyside6.abi3.so.* "$STAGE/site/PySide6/"
for lib in Core Gui Widgets DBus Svg OpenGL OpenGLWidgets; do
    cp -L "$QT/Qt/lib/libQt6$lib.so.6" "$STAGE/site/PySide6/Qt/lib/" 2>/dev/null || echo "note: no libQt6$lib"
done
cp -L "$QT"/Qt/lib/libicu*.so.* "$STAGE/site/PySide6/Qt/lib/"
for plugin in platforms/libqoffscreen.so platforms/libqminimal.so iconengines/libqsvgicon.so \
              imageformats/libqsvg.so imageformats/libqjpeg.so imageformats/libqgif.so; do
    mkdir -p "$STAGE/site/PySide6/Qt/plugins/$(dirname "$plugin")"
    cp "$QT/Qt/plugins/$plugin" "$STAGE/site/PySide6/Qt/plugins/$plugin"
done
for package in shiboken6 pyqtgraph qtawesome qtpy; do
    "$PYTHON" - "$package" "$STAGE/site" <<'PY'
import importlib, shutil, sys
from pathlib import Path
module = importlib.import_module(sys.argv[1])
source = Path(module.__file__).parent
shutil.copytree(source, Path(sys.argv[2]) / source.name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "examples", "tests", "include"))
PY
done

# System libraries the Qt parts load, found by ldd here; the C runtime and C++ runtime stay behind
# (every machine has them, and a second copy in one process breaks it).
SKIP='^(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux-x86-64)\.so'
find "$STAGE/site/PySide6" -name '*.so*' -print0 | xargs -0 ldd 2>/dev/null | awk '/=> \// {print $3}' | sort -u |
while read -r lib; do
    name="$(basename "$lib")"
    [[ "$name" =~ $SKIP || "$lib" == "$STAGE"* ]] && continue
    cp -L "$lib" "$STAGE/lib/$name"
done
echo "system libraries: $(ls "$STAGE/lib" | tr '\n' ' ')"

raw="$(du -sb "$STAGE" | cut -f1)"
tar -C "$STAGE" -cf - site lib | nice -n 10 xz -6 -T1 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT: $(( $(stat -c %s "$OUT") / 1024 )) KiB packed ($(( raw / 1048576 )) MiB unpacked)"
