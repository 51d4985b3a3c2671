#!/bin/sh
# run.sh: run libFuzzer targets on their corpora (make fuzz).
#
#	FUZZ_TIME=60 sh tests/fuzz/run.sh build-fuzz/fuzz-http build-fuzz/fuzz-cfg
#
# For build-fuzz/fuzz-NAME: the seed corpus is tests/fuzz/corpus/NAME/, the
# dictionary tests/fuzz/NAME.dict (or fuzz-NAME.dict) when present.  New
# inputs go to a scratch corpus, build-fuzz/corpus/NAME/, so the tree's corpus
# only grows with FUZZ_MERGE=1, which merges the inputs that add coverage into
# it afterwards.  Crashes, leaks and timeouts land in
# build-fuzz/artifacts/fuzz-NAME/; each one belongs in the corpus once fixed.
#
# Prints per target the executions, the coverage (cov: and ft: of libFuzzer's
# last status line) and the crashes found; exits 1 if any target crashed.
#
# FUZZ_TIME	seconds per target (default 60)
# FUZZ_MERGE=1	merge new coverage into tests/fuzz/corpus/NAME/
# FUZZ_ARGS	more libFuzzer options, e.g. "-max_len=4096"
# FUZZ_JOBS	targets fuzzed at once (default 1), each on its own CPU; the
#		reports come out target by target all the same

cd "$(dirname "$0")/../.." || exit 70
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_ARGS=${FUZZ_ARGS:-}

if test $# = 0; then
	echo "usage: FUZZ_TIME=60 sh tests/fuzz/run.sh build-fuzz/fuzz-NAME..." >&2
	exit 64
fi

FUZZ_JOBS=${FUZZ_JOBS:-1}
if test "$FUZZ_JOBS" -gt 1 && test $# -gt 1; then
	# Deal the targets out to FUZZ_JOBS runs of this script, round-robin.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-run.XXXXXX") || exit 70
	trap 'rm -rf "$tmp"' EXIT
	i=0
	for bin in "$@"; do
		echo "$bin" >>"$tmp/list.$((i % FUZZ_JOBS))"
		i=$((i + 1))
	done
	j=0
	while test "$j" -lt "$FUZZ_JOBS" && test -f "$tmp/list.$j"; do
		# shellcheck disable=SC2046
		FUZZ_JOBS=1 sh "$0" $(cat "$tmp/list.$j") >"$tmp/out.$j" 2>&1 &
		echo $! >"$tmp/pid.$j"
		j=$((j + 1))
	done
	crashed=0
	j=0
	while test -f "$tmp/pid.$j"; do
		wait "$(cat "$tmp/pid.$j")" || crashed=1
		cat "$tmp/out.$j"
		j=$((j + 1))
	done
	exit "$crashed"
fi

crashed=0
for bin in "$@"; do
	name=${bin##*/}
	target=${name#fuzz-}
	outdir=$(dirname "$bin")
	seeds=tests/fuzz/corpus/$target
	scratch=$outdir/corpus/$target
	artifacts=$outdir/artifacts/$name
	log=$outdir/logs/$name.log
	if ! test -x "$bin"; then
		echo "$name: no such fuzz target '$bin'"
		crashed=1
		continue
	fi
	mkdir -p "$scratch" "$artifacts" "$outdir/logs" || exit 70
	dict=
	for d in "tests/fuzz/$target.dict" "tests/fuzz/$name.dict"; do
		if test -f "$d"; then
			dict=-dict=$d
			break
		fi
	done
	dirs=$scratch
	test -d "$seeds" && dirs="$scratch $seeds"
	find "$artifacts" -type f | sort >"$outdir/logs/$name.before"

	echo "$name: fuzzing for $FUZZ_TIME s${dict:+ with ${dict#-dict=}}"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
	    -artifact_prefix="$artifacts/" $dict $FUZZ_ARGS $dirs \
	    >"$log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	status=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1)
	cov=$(printf '%s\n' "$status" | sed -n 's/.*cov: *\([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$status" | sed -n 's/.*ft: *\([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$status" |
	    sed -n 's/.*corp: *\([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
	find "$artifacts" -type f | sort |
	    comm -13 "$outdir/logs/$name.before" - >"$outdir/logs/$name.new"
	found=$(wc -l <"$outdir/logs/$name.new" | tr -d ' ')

	printf '%s: %s execs, cov: %s ft: %s, corpus %s, %d crash%s\n' \
	    "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "$found" "$([ "$found" = 1 ] && echo "" || echo es)"
	if test "$rc" != 0 || test "$found" -gt 0; then
		crashed=1
		echo "$name: FAILED (exit status $rc); log: $log"
		grep -E '^==[0-9]+==ERROR|SUMMARY:|^artifact_prefix|Test unit written' \
		    "$log" | head -n 10 | sed -e 's/^/    /'
		sed -e 's/^/    new artifact: /' "$outdir/logs/$name.new"
		echo "    reproduce: $bin <artifact>; once fixed," \
		    "copy it into $seeds/"
	fi

	if test "$FUZZ_MERGE" = 1 && test "$rc" = 0; then
		mkdir -p "$seeds" || exit 70
		n0=$(find "$seeds" -type f | wc -l)
		# shellcheck disable=SC2086
		"$bin" -merge=1 $dict "$seeds" "$scratch" \
		    >"$outdir/logs/$name.merge.log" 2>&1 ||
		    echo "$name: merge failed; see $outdir/logs/$name.merge.log"
		n1=$(find "$seeds" -type f | wc -l)
		echo "$name: merged $((n1 - n0)) new input(s) into $seeds/"
	fi
done
exit "$crashed"
