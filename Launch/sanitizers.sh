#!/usr/bin/env bash
# The test suite under a sanitizer (issue 10): a release build of Tandem and its tests with Swift's
# -sanitize=address or -sanitize=thread, in its own build directory, then the tests. The integration
# tests start the instrumented `tandem` of the same build, so every rank they run under `mpirun` is
# checked too.
#
#   Launch/sanitizers.sh address [SWIFT TEST ARGUMENTS...]     e.g. --filter ReliabilityTests
#   Launch/sanitizers.sh thread  [SWIFT TEST ARGUMENTS...]
#
# Findings in Open MPI, OpenBLAS and the other C libraries (not instrumented; allocations MPI keeps
# until exit, the threads of its progress engine) are suppressed by library name in
# Launch/sanitizers/*.supp; nothing of Tandem's own is. A report makes the process exit non-zero, which
# fails the test that ran it.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${1:?usage: Launch/sanitizers.sh address|thread [swift test arguments]}; shift
case $sanitizer in address|thread) ;; *) echo "sanitizers.sh: address or thread, not $sanitizer" >&2; exit 64 ;; esac
suppressions=$PWD/Launch/sanitizers
export OPENBLAS_NUM_THREADS=1
# Leaks: off by default (LEAKS=1 turns them on). Open MPI's never-freed start-up state can only be
# suppressed by name with the slow unwinder (the fast one stops in the C libraries, which have no frame
# pointers) and with its plugins kept loaded; the integration tests clear every OMPI_* variable for the
# mpirun they start, so there its plugins' frames are unnamed. Run a rank by hand with LEAKS=1 instead.
export ASAN_OPTIONS="detect_leaks=${LEAKS:-0}:abort_on_error=0:exitcode=66:strict_string_checks=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0:malloc_context_size=30"
export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1
export LSAN_OPTIONS="suppressions=$suppressions/leak.supp:print_suppressions=0"
export TSAN_OPTIONS="suppressions=$suppressions/thread.supp:exitcode=66:halt_on_error=0:second_deadlock_stack=1"
scratch=.build-$sanitizer
swift build -c release --sanitize="$sanitizer" --scratch-path "$scratch" --build-tests -Xswiftc -enable-testing
swift test -c release --sanitize="$sanitizer" --scratch-path "$scratch" --skip-build -Xswiftc -enable-testing "$@"
