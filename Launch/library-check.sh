#!/usr/bin/env bash
# Tandem used as a library by another package, as CI checks it: Examples/TrainTutorial depends on this
# repository by path, trains the tutorial's model for one epoch on the first 3,200 images through
# `import Tandem`, and must end with the parameters sha256 of `tandem train --epochs 1 --limit 3200`.
#   Launch/library-check.sh
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
cd "$repository"
(cd Examples/TrainTutorial && swift build -c release >&2)
# (Not `tee /dev/stderr`: reopening standard error truncates it when it is a log file.)
output=$(Examples/TrainTutorial/.build/release/TrainTutorial 3200)
echo "$output" >&2
library=$(grep 'parameters sha256' <<< "$output")
command=$("$TANDEM_BINARY" train --epochs 1 --limit 3200 --verbose 0 | grep 'parameters sha256')
if [ "$library" != "$command" ]; then
    echo "library-check: the library gave '$library', the command line '$command'" >&2
    exit 1
fi
echo "library-check: Examples/TrainTutorial and tandem train agree: $library"

# The same package as a versioned dependency, which is how a package of its own would name it: SwiftPM
# refuses a dependency whose targets set unsafeFlags when it loads the package graph, so resolving this
# commit through a file:// git URL at a tag, and loading the graph, proves that it can be depended on
# by version (the build itself is the path dependency's above).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q --bare "$repository" "$scratch/Tandem.git"
git -C "$scratch/Tandem.git" tag -l | xargs -r git -C "$scratch/Tandem.git" tag -d >/dev/null
git -C "$scratch/Tandem.git" tag 1.0.0 "$(git rev-parse HEAD)"
mkdir -p "$scratch/Versioned/Sources/TrainTutorial"
cp Examples/TrainTutorial/Sources/TrainTutorial/main.swift "$scratch/Versioned/Sources/TrainTutorial/"
cat > "$scratch/Versioned/Package.swift" <<PACKAGE
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "Versioned",
    dependencies: [.package(url: "file://$scratch/Tandem.git", exact: "1.0.0")],
    targets: [.executableTarget(name: "TrainTutorial", dependencies: [.product(name: "Tandem", package: "Tandem")])]
)
PACKAGE
(cd "$scratch/Versioned" && swift package resolve >&2 && swift package show-dependencies >&2)
echo "library-check: Tandem $(git rev-parse --short HEAD) resolves as a versioned dependency (file:// URL, tag 1.0.0)"
