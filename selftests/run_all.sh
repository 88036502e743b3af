#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every ringside selftest built in this directory, from this directory,
# as the test VM does.  Prints each test's TAP output and a summary line;
# exits non-zero if any test failed.  Arguments, if any, name the tests.
cd "$(dirname "$0")" || exit 1

if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(ls -- *_test 2>/dev/null)
fi
if [ -z "$tests" ]; then
	echo "run_all.sh: no tests built in $(pwd); run make first" >&2
	exit 1
fi

passed=0
failed=0
skipped=0
failures=""
for t in $tests; do
	t=${t#./}
	echo "# selftests: ringside: $t"
	if [ -x "./$t" ]; then
		"./$t"
		rc=$?
	else
		echo "# $t: not found"
		rc=127
	fi
	case $rc in
	0)
		echo "# ok $t"
		passed=$((passed + 1)) ;;
	4)	# KSFT_SKIP: the whole program skipped
		echo "# ok $t # SKIP"
		skipped=$((skipped + 1)) ;;
	*)
		echo "# not ok $t (exit $rc)"
		failed=$((failed + 1))
		failures="$failures $t" ;;
	esac
done

[ -n "$failures" ] && echo "# failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
