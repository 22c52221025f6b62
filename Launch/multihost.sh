#!/usr/bin/env bash
# Simulated hosts on this one machine: network namespaces joined by a bridge, optionally rate-limited,
# to run Tandem "across hosts" over real TCP and measure what the network costs.
#
#   Launch/multihost.sh up N [--rate RATE]   namespaces tandem-h0 … tandem-h{N-1}, addresses
#                                            10.77.0.1 … 10.77.0.N/24, each with a veth to a bridge
#                                            that lives in its own namespace, tandem-switch
#   Launch/multihost.sh rate RATE|none       (re)set the egress limit of every host, e.g. 1gbit, 100mbit
#   Launch/multihost.sh run N [--slots K] [mpirun options…] -- [tandem arguments…]
#                                            run Tandem as N×K ranks, K per host, on the first N hosts
#                                            (TCP between hosts, --mca btl tcp,self,vader unless given;
#                                            e.g. run 2 -- bench allreduce --json allreduce.json)
#   Launch/multihost.sh status               what is set up, with the limits
#   Launch/multihost.sh check [SECONDS]      TCP throughput tandem-h1 → tandem-h0 (python3), to check a limit
#   Launch/multihost.sh exec I COMMAND…      run a command in tandem-hI (with host name tandem-hI)
#   Launch/multihost.sh down                 remove everything `up` created (safe to run twice)
#
# Nothing here touches the root namespace's interfaces or routes: the hosts and the switch are
# namespaces of their own, and their only addresses are 10.77.0.0/24, reachable from nowhere else.
# Each host's veth egress gets `tc … tbf` with --rate/`rate` (host → switch: each direction of each
# link is limited; the switch's ports are not, so with more than 2 hosts a host could receive from
# several at once above RATE). netem is not available in this kernel, so no added delay: the latency
# is what the veths and the TCP stack cost.
#
# All the hosts share this machine's cores (and /dev/shm, /tmp): the network is simulated, the compute
# is not. mpirun runs in tandem-h0; ranks on other hosts are started through Launch/netns-rsh.sh
# (mpirun's rsh agent). Every namespace gets its own host name, so Open MPI sees N different hosts.
#
# Environment: TANDEM_BINARY (default /work/main/.build/release/tandem, i.e. .build/release/tandem of
# this checkout), MPIRUN (default mpirun).
set -euo pipefail

launch_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$launch_dir/.." && pwd)"
TANDEM_BINARY="${TANDEM_BINARY:-$repository/.build/release/tandem}"
MPIRUN="${MPIRUN:-mpirun}"
SWITCH=tandem-switch
BRIDGE=br0
SUBNET=10.77.0.0/24
state_dir=/tmp/tandem-multihost

die() { echo "multihost.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit "${1:-0}"; }
namespace_exists() { [ -e "/var/run/netns/$1" ]; }
host_namespaces() {   # tandem-h0 tandem-h1 … in numeric order
    local name
    for name in /var/run/netns/tandem-h*; do
        [ -e "$name" ] || continue
        name="${name##*/}"
        [[ "$name" =~ ^tandem-h[0-9]+$ ]] && echo "${name#tandem-h} $name"
    done | sort -n | cut -d' ' -f2
}
host_count() { host_namespaces | wc -l; }
address() { echo "10.77.0.$(( $1 + 1 ))"; }
in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
sysctl_in() { in_ns "$1" sh -c "echo $3 > /proc/sys/$2" 2>/dev/null || true; }

# RATE (tc syntax) → bytes per second, for sizing tbf's bucket.
rate_bytes_per_second() {
    local rate="${1,,}" number unit
    [[ "$rate" =~ ^([0-9]+(\.[0-9]+)?)([a-z]*)$ ]] || die "cannot read rate '$1' (e.g. 1gbit, 100mbit, 500kbit)"
    number="${BASH_REMATCH[1]}"; unit="${BASH_REMATCH[3]}"
    local factor
    case "$unit" in
        bit|"") factor=0.125 ;;   kbit) factor=125 ;;   mbit) factor=125000 ;;
        gbit) factor=125000000 ;;  tbit) factor=125000000000 ;;
        bps) factor=1 ;;  kbps) factor=1000 ;;  mbps) factor=1000000 ;;  gbps) factor=1000000000 ;;
        kibit) factor=128 ;;  mibit) factor=131072 ;;  gibit) factor=134217728 ;;
        *) die "unknown rate unit '$unit' in '$1' (bit, kbit, mbit, gbit, or bps, kbps, mbps, gbps for bytes)" ;;
    esac
    awk -v n="$number" -v f="$factor" 'BEGIN { printf "%.0f\n", n * f }'
}

# tbf parameters for RATE. The bucket (burst) is kept small, RATE × BURST_MS but at least MIN_BURST
# bytes: tokens saved while a host is idle (between training steps, or before a timed allreduce) let
# that much through at veth speed, which a real link does not; with 64 KiB or more at 1gbit, the
# 188 KB gradient allreduce came out faster than the link and erratic. With 16 KiB at 100mbit and
# 31 KB at 1gbit, one TCP stream gets 95.5 and 950 Mbit/s of payload (the most is 1448/1514 of the
# rate: 95.6 and 956). Packets may queue up to LATENCY_MS (a deep queue: with 10 ms or less, tbf
# dropped packets of the allreduce's two-way bulk transfers).
: "${TANDEM_TBF_BURST_MS:=0.25}" "${TANDEM_TBF_MIN_BURST:=16384}" "${TANDEM_TBF_LATENCY_MS:=50}"
tbf_arguments() {
    local bytes burst
    bytes="$(rate_bytes_per_second "$1")"
    burst=$(awk -v b="$bytes" -v ms="$TANDEM_TBF_BURST_MS" -v min="$TANDEM_TBF_MIN_BURST" 'BEGIN { x = b * ms / 1000; if (x < min) x = min; printf "%.0f\n", x }')
    echo "rate $1 burst $burst latency ${TANDEM_TBF_LATENCY_MS}ms"
}

set_rate() {
    local rate="$1" ns
    [ "$(host_count)" -gt 0 ] || die "no hosts: run Launch/multihost.sh up N first"
    for ns in $(host_namespaces); do
        if [ "$rate" = none ] || [ "$rate" = off ]; then
            in_ns "$ns" tc qdisc del dev eth0 root 2>/dev/null || true
        else
            # shellcheck disable=SC2046
            in_ns "$ns" tc qdisc replace dev eth0 root tbf $(tbf_arguments "$rate")
        fi
    done
    if [ "$rate" = none ] || [ "$rate" = off ]; then
        echo "multihost.sh: no rate limit on $(host_count) hosts"
    else
        echo "multihost.sh: every host's egress limited: $(tbf_arguments "$rate")"
    fi
}

command_up() {
    local count="${1:?usage: multihost.sh up N [--rate RATE]}" rate=""
    shift
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le 250 ] || die "N must be 1…250, not '$count'"
    while [ $# -gt 0 ]; do
        case "$1" in
            --rate) rate="${2:?--rate needs a value, e.g. 1gbit}"; shift 2 ;;
            --rate=*) rate="${1#--rate=}"; shift ;;
            *) die "up: unknown option $1" ;;
        esac
    done
    [ -z "$rate" ] || rate_bytes_per_second "$rate" >/dev/null
    if namespace_exists "$SWITCH" || [ "$(host_count)" -gt 0 ]; then
        echo "multihost.sh: replacing the existing setup" >&2
        command_down >/dev/null
    fi
    ip netns add "$SWITCH"
    in_ns "$SWITCH" ip link set lo up
    in_ns "$SWITCH" ip link add "$BRIDGE" type bridge
    sysctl_in "$SWITCH" net/ipv6/conf/all/disable_ipv6 1
    in_ns "$SWITCH" ip link set "$BRIDGE" up
    local i ns
    for (( i = 0; i < count; i++ )); do
        ns="tandem-h$i"
        ip netns add "$ns"
        sysctl_in "$ns" net/ipv6/conf/all/disable_ipv6 1
        sysctl_in "$ns" net/ipv6/conf/default/disable_ipv6 1
        # Both ends are created in their namespaces directly: nothing passes through the root namespace.
        ip -n "$SWITCH" link add "port$i" type veth peer name eth0 netns "$ns"
        ip -n "$SWITCH" link set "port$i" master "$BRIDGE"
        ip -n "$SWITCH" link set "port$i" up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$(address "$i")/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
    echo "multihost.sh: $count hosts tandem-h0…tandem-h$(( count - 1 )) at $(address 0)…$(address $(( count - 1 ))), bridge $BRIDGE in $SWITCH"
    [ -z "$rate" ] || set_rate "$rate"
}

command_down() {
    local ns removed=0 pids
    # Processes still running in a namespace (an interrupted run's orted or ranks) would keep it
    # alive after `ip netns del`: end them first, by id.
    for ns in $(host_namespaces) "$SWITCH"; do
        namespace_exists "$ns" || continue
        pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
        [ -z "${pids// /}" ] && continue
        echo "multihost.sh: ending processes left in $ns: $pids" >&2
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        sleep 1
        pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
        # shellcheck disable=SC2086
        [ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
    done
    for ns in $(host_namespaces) "$SWITCH"; do
        if namespace_exists "$ns"; then
            # Deleting a namespace deletes its veth ends (and so their peers) and the bridge in it.
            ip netns del "$ns" 2>/dev/null || true
            removed=$(( removed + 1 ))
        fi
    done
    rm -rf "$state_dir"
    echo "multihost.sh: removed $removed namespaces"
}

command_status() {
    if ! namespace_exists "$SWITCH" && [ "$(host_count)" -eq 0 ]; then echo "multihost.sh: not set up"; return 0; fi
    echo "switch: $SWITCH: $(ip -n "$SWITCH" -br link show master "$BRIDGE" 2>/dev/null | awk '{print $1}' | cut -d@ -f1 | tr '\n' ' ')"
    local ns
    for ns in $(host_namespaces); do
        echo "$ns: $(ip -n "$ns" -br -4 addr show dev eth0 | awk '{print $3}')  $(ip -n "$ns" -br link show dev eth0 | awk '{print $2}')  qdisc: $(in_ns "$ns" tc qdisc show dev eth0 | head -1)"
    done
}

# Runs in tandem-hI with its own host name (as netns-rsh.sh starts the ranks).
in_host() {
    local index="$1"; shift
    local ns="tandem-h$index"
    namespace_exists "$ns" || die "no namespace $ns"
    ip netns exec "$ns" unshare --uts sh -c "hostname $ns && exec \"\$@\"" sh "$@"
}

command_check() {
    local seconds="${1:-3}"
    [ "$(host_count)" -ge 2 ] || die "check needs 2 hosts"
    local receiver
    receiver=$(cat <<'EOF'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.1", 5201)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
EOF
)
    local sender
    sender=$(cat <<'EOF'
import socket, sys, time
seconds = float(sys.argv[1])
for attempt in range(50):
    try:
        c = socket.create_connection(("10.77.0.1", 5201)); break
    except OSError: time.sleep(0.1)
buffer = b"\0" * (1 << 20); n = 0; start = time.monotonic()
while time.monotonic() - start < seconds:
    n += c.send(buffer)
c.shutdown(socket.SHUT_WR); c.recv(1); elapsed = time.monotonic() - start
print(f"tandem-h1 -> tandem-h0: {n / elapsed * 8 / 1e6:.1f} Mbit/s ({n / 1e6:.0f} MB in {elapsed:.2f} s)")
EOF
)
    in_host 0 python3 -c "$receiver" &
    local listener=$!
    in_host 1 python3 -c "$sender" "$seconds"
    wait "$listener"
}

command_run() {
    local count="${1:?usage: multihost.sh run N [--slots K] [mpirun options…] -- [tandem arguments…]}" slots=1
    shift
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] || die "N must be a positive number, not '$count'"
    [ "$count" -le "$(host_count)" ] || die "run $count: only $(host_count) hosts are up (Launch/multihost.sh up $count)"
    local mpirun_options=() btl=tcp,self,vader user_mca=" "
    while [ $# -gt 0 ]; do
        case "$1" in
            --slots) slots="${2:?--slots needs a number}"; shift 2 ;;
            --slots=*) slots="${1#--slots=}"; shift ;;
            # mpirun joins repeated --mca values of one parameter, so a btl given here replaces ours.
            --mca|-mca) [ "${2:-}" = btl ] && { btl="${3:?--mca btl needs a value}"; shift 3; continue; }
                        user_mca+=" ${2:?} "; mpirun_options+=("$1" "$2" "${3:?}"); shift 3 ;;
            --) shift; break ;;
            *) mpirun_options+=("$1"); shift ;;
        esac
    done
    [[ "$slots" =~ ^[0-9]+$ ]] && [ "$slots" -ge 1 ] || die "--slots must be a positive number"
    [ -x "$TANDEM_BINARY" ] || die "$TANDEM_BINARY is missing (TANDEM_BINARY, or swift build -c release)"
    local ranks=$(( count * slots ))
    mkdir -p "$state_dir"
    local hostfile="$state_dir/hostfile.$count.$slots" i
    : > "$hostfile"
    for (( i = 0; i < count; i++ )); do echo "$(address "$i") slots=$slots" >> "$hostfile"; done

    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    local options=(--hostfile "$hostfile" -np "$ranks" --map-by slot
        # Every "host" believes it owns all the cores: binding would pile each host's first rank onto
        # core 0, so leave placement to the kernel.
        --bind-to none
        --mca plm_rsh_agent "$launch_dir/netns-rsh.sh"
        --mca btl "$btl"
        --mca btl_tcp_if_include "$SUBNET" --mca oob_tcp_if_include "$SUBNET"
        -x OPENBLAS_NUM_THREADS=1 -x OMPI_ALLOW_RUN_AS_ROOT=1 -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
    if [ "$ranks" -gt "$(nproc)" ]; then
        echo "multihost.sh: $ranks ranks on $(nproc) cores: oversubscribed (ranks share cores; throughput will not scale)" >&2
        [[ "$user_mca" == *" mpi_yield_when_idle "* ]] || options+=(--mca mpi_yield_when_idle 1)
    fi
    echo "multihost.sh: $ranks ranks on $count hosts ($slots per host), hostfile $hostfile" >&2
    { printf 'multihost.sh: in tandem-h0:'; printf ' %q' "$MPIRUN" "${options[@]}" "${mpirun_options[@]}" "$TANDEM_BINARY" "$@"; echo; } >&2
    in_host 0 "$MPIRUN" "${options[@]}" "${mpirun_options[@]}" "$TANDEM_BINARY" "$@"
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
subcommand="${1:-}"
[ $# -eq 0 ] || shift
case "$subcommand" in
    up) command_up "$@" ;;
    down) command_down ;;
    rate) set_rate "${1:?usage: multihost.sh rate RATE|none}" ;;
    run) command_run "$@" ;;
    status) command_status ;;
    check) command_check "$@" ;;
    exec) index="${1:?usage: multihost.sh exec I COMMAND…}"; shift; in_host "$index" "$@" ;;
    -h|--help|help) usage 0 ;;
    *) usage 1 >&2 ;;
esac
