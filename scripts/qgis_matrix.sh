#!/usr/bin/env bash
# The QGIS version matrix of `make test`: the QGIS and end-to-end suites on every QGIS of the matrix but the
# host's own (tested on the host), each in its Debian chroot (scripts/qgis_chroot.sh).
#
#   scripts/qgis_matrix.sh                 every version but the host's
#   scripts/qgis_matrix.sh 3.40 [3.44]     those versions (make test-qgis QGIS=3.40)
#   QGIS_MATRIX="3.44" make test           the same through make; QGIS_MATRIX=none skips the matrix, and says so
#
# Chroots are built first, side by side (they mostly wait on the network), then the suites run one version at a
# time. Any version that cannot be built or fails its tests fails the whole run: fewer versions never pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TILEWISE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tilewise}
ALL_VERSIONS="3.22 3.40 3.44"
CHROOT="$ROOT/scripts/qgis_chroot.sh"

host_version() {
    dpkg-query -W -f='${Version}' qgis 2>/dev/null | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p'
}

if [ $# -gt 0 ]; then
    versions="$*"
elif [ -n "${QGIS_MATRIX:-}" ]; then
    versions=$QGIS_MATRIX
else
    host=$(host_version)
    versions=$(for v in $ALL_VERSIONS; do [ "$v" = "$host" ] || echo "$v"; done | xargs)
fi
if [ "$versions" = none ]; then
    echo "QGIS matrix: skipped (QGIS_MATRIX=none); only the host's QGIS $(host_version) was tested"
    exit 0
fi
for version in $versions; do
    "$CHROOT" suite "$version" >/dev/null || exit 2
done

mkdir -p "$CACHE/results"
declare -A outcome
start=$(date +%s)

# 1. Build what is missing, all at once (each one's lines are shown when it is done).
echo "QGIS matrix: QGIS $versions; checking their chroots in $CACHE/chroots"
pids=()
for version in $versions; do
    "$CHROOT" ensure "$version" 2>"$CACHE/results/$version.ensure" &
    pids+=($!)
done
index=0
for version in $versions; do
    pid=${pids[$index]}
    index=$((index + 1))
    wait "$pid"
    status=$?
    cat "$CACHE/results/$version.ensure" >&2
    if [ "$status" != 0 ]; then
        line=$(tail -n 1 "$CACHE/results/$version.ensure")
        outcome[$version]="skipped: ${line#*skipped: }"
    fi
done
echo "QGIS matrix: chroots ready in $(($(date +%s) - start)) s"

# 2. The suites, one version at a time.
for version in $versions; do
    [ -z "${outcome[$version]:-}" ] || continue
    log="$CACHE/results/$version.log"
    echo "=== QGIS $version ($("$CHROOT" suite "$version")): tests/qgis tests/e2e"
    "$CHROOT" test "$version" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    summary=$(grep -E '^=+ .*(passed|failed|error|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 | sed 's/^=* *//; s/ *=*$//')
    debian=$(sed -n 's/.*Debian.s qgis \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ "$status" = 0 ]; then
        outcome[$version]="passed: ${summary:-?} (qgis ${debian:-?})"
    else
        outcome[$version]="FAILED: ${summary:-exit $status} (qgis ${debian:-?}); log: $log"
    fi
done

echo
echo "QGIS matrix ($(($(date +%s) - start)) s):"
failed=0
total_passed=0
total_failed=0
count() { sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p" <<<"$2" | head -n 1; }  # count passed|failed TEXT
for version in $versions; do
    echo "  QGIS $version ($("$CHROOT" suite "$version")): ${outcome[$version]}"
    passed=$(count passed "${outcome[$version]}")
    failures=$(count failed "${outcome[$version]}")
    case "${outcome[$version]}" in
        passed:*) ;;
        *) failed=1 && failures=${failures:-1} ;; # a version not built, or whose run broke, counts as one
    esac
    total_passed=$((total_passed + ${passed:-0}))
    total_failed=$((total_failed + ${failures:-0}))
done
# one closing line for the whole matrix
echo "matrix: $total_passed passed, $total_failed failed"
exit $failed
