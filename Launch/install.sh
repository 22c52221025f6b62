#!/usr/bin/env bash
# Installs what Tandem needs from Debian: Open MPI, OpenBLAS, libxsmm, zlib, libpng, TurboJPEG, giflib, HDF5, OpenSSL's libcrypto, pkg-config and the Fashion-MNIST
# dataset (into /usr/share/datasets/fashion-mnist). Swift itself must already be on the PATH.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libxsmm-dev zlib1g-dev libpng-dev libturbojpeg0-dev libgif-dev libhdf5-dev libssl-dev pkg-config python3-venv dataset-fashion-mnist)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the lock (unattended upgrades, CI images): wait for it rather than fail.
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${packages[@]}" >/dev/null
command -v swift >/dev/null || { echo "install.sh: swift is not on the PATH (Tandem needs Swift 6)" >&2; exit 1; }
echo "install.sh: installed ${packages[*]}"

# The readers that the interoperability tests hand Tandem's exports to (PyPI, into .build-interop/venv):
# ONNX Runtime, h5py, safetensors, NumPy. Keras itself (with TensorFlow, ~600 MB) is left to
# Launch/keras_export_check.py.
venv="$(dirname "$0")/../.build-interop/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnxruntime, h5py, safetensors, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check onnxruntime==1.32.0 h5py==3.16.0 safetensors==0.8.0 numpy==2.4.6
fi
echo "install.sh: interoperability checkers in .build-interop/venv (onnxruntime, h5py, safetensors, numpy)"
