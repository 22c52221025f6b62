#!/usr/bin/env bash
# Installs what Tandem needs from Debian: Open MPI, OpenBLAS, zlib, libpng, TurboJPEG, pkg-config and the Fashion-MNIST
# dataset (into /usr/share/datasets/fashion-mnist). Swift itself must already be on the PATH.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev zlib1g-dev libpng-dev libturbojpeg0-dev pkg-config dataset-fashion-mnist)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the lock (unattended upgrades, CI images): wait for it rather than fail.
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${packages[@]}" >/dev/null
command -v swift >/dev/null || { echo "install.sh: swift is not on the PATH (Tandem needs Swift 6)" >&2; exit 1; }
echo "install.sh: installed ${packages[*]}"
