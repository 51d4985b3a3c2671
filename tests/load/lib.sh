# lib.sh: what the load tests share, on top of tests/e2e/lib.sh.

load_dir_=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../e2e/lib.sh
. "$load_dir_/../e2e/lib.sh"

LOAD_OUT=${LOAD_OUT:-$GW_BUILD/load-results}
mkdir -p "$LOAD_OUT"

# rss_kb PID: resident memory of PID in kB.
rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# workers_of PID: the worker processes of a gw-serve master, one a line.
workers_of() {
	pgrep -P "$1" | sort -n
}

# result KEY VALUE: a figure for the results file of this test.
result() {
	# shellcheck disable=SC2154
	echo "$1=$2" >>"$LOAD_OUT/$test_name_.txt"
}

# shellcheck disable=SC2154
: >"$LOAD_OUT/$test_name_.txt"
