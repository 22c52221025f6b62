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
