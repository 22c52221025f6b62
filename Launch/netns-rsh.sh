#!/usr/bin/env bash
# The remote-shell agent for Launch/multihost.sh: mpirun calls it instead of ssh, as
#   netns-rsh.sh [options…] HOST COMMAND…
# and it runs COMMAND (one shell string, as ssh would) in the network namespace of the simulated
# host HOST, with that host's own host name (a private UTS namespace): ranks on different simulated
# hosts must not look like one host to Open MPI, or they would try to reach each other through
# shared memory (/dev/shm and /tmp are shared by all the namespaces) and crash.
# HOST is an address 10.77.0.(I+1) or a name tandem-hI; either way it runs in namespace tandem-hI.
# Options before HOST (ssh-style, e.g. -x) are accepted and ignored.
set -euo pipefail
while [ $# -gt 0 ]; do
    case "$1" in
        -[bcDEeFIiJLlmOoQRSWw]) shift 2 ;;   # ssh options that take a value
        -*) shift ;;
        *) break ;;
    esac
done
host="${1:?usage: netns-rsh.sh [options…] HOST COMMAND…}"
shift
case "$host" in
    10.77.0.*) index=$(( ${host#10.77.0.} - 1 )) ;;
    tandem-h[0-9]*) index="${host#tandem-h}" ;;
    *) echo "netns-rsh.sh: $host is not one of Launch/multihost.sh's hosts (10.77.0.X or tandem-hI)" >&2; exit 255 ;;
esac
namespace="tandem-h$index"
if [ ! -e "/var/run/netns/$namespace" ]; then
    echo "netns-rsh.sh: no namespace $namespace for host $host (run Launch/multihost.sh up N first)" >&2
    exit 255
fi
[ $# -gt 0 ] || { echo "netns-rsh.sh: no command for $host (interactive logins are not supported)" >&2; exit 255; }
# Like ssh: the words of the command are joined by spaces and the result is run by the login shell.
# Open MPI builds that string for the local shell (plm_rsh_assume_same_shell), so run it with $SHELL.
command="$*"
shell="${SHELL:-/bin/sh}"
[ -x "$shell" ] || shell=/bin/sh
exec ip netns exec "$namespace" unshare --uts \
    sh -c "hostname $namespace && exec \"\$@\"" sh "$shell" -c "$command"
