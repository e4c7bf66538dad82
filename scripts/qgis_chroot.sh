#!/usr/bin/env bash
# The QGIS version matrix: Debian chroots (debootstrap, from the registry apt already uses) that run the plugin's
# QGIS and end-to-end suites on another Debian's QGIS. Chroots, their venvs and logs are cached outside the clone
# (TILEWISE_CACHE, default ~/.cache/tilewise) and reused; a layer is rebuilt when what it was built from changed.
#
#   scripts/qgis_chroot.sh suite VERSION        the Debian suite of a QGIS version (3.22, 3.40, 3.44)
#   scripts/qgis_chroot.sh ensure VERSION       build (or refresh) the chroot of VERSION
#   scripts/qgis_chroot.sh run VERSION CMD...   run CMD in it, as root, with the clone at the same path
#   scripts/qgis_chroot.sh test VERSION [PYTEST ARGS]  ensure, then the QGIS and e2e suites (or the args)
#
# Each run binds /proc, /dev, /sys, the clone's folder and the host's package index settings into the chroot and
# undoes them when it ends; in a private mount namespace (unshare) where the host has one, so that no mount
# outlives a run, whatever ends it.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TILEWISE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tilewise}
# What the chroot needs beyond the Makefile's own list (passed in by make; a fallback for direct calls).
APT_PACKAGES=${TILEWISE_APT_PACKAGES:-qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-venv \
python3-dev gcc libgeos-dev xvfb xauth sqlite3 zip}
EXTRA_PACKAGES="ca-certificates make procps"
# Bumped when the way a chroot is built changes, so every cached one is rebuilt.
LAYOUT=1
# A sid snapshot's Release file is past its Valid-Until date: apt (and only for the chroot) is told to accept it.
APT_OPTIONS=(-o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false)

say() { printf '%s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

suite_of() {
    case "$1" in
        3.22) echo bookworm ;;
        3.40) echo trixie ;;
        3.44) echo sid ;;
        *) fail "QGIS $1 is not in the matrix: choose 3.22 (Debian 12), 3.40 (Debian 13) or 3.44 (Debian sid)" ;;
    esac
}

# The first Debian archive apt on this machine uses (deb822 or one-line sources); deb.debian.org otherwise.
# TILEWISE_DEBIAN_MIRROR overrides it.
mirror() {
    if [ -n "${TILEWISE_DEBIAN_MIRROR:-}" ]; then
        echo "$TILEWISE_DEBIAN_MIRROR"
        return
    fi
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v -- '-security' | grep '/debian/\?$' | head -n 1)
    if [ -z "$uri" ]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
            /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | head -n 1)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# pip's own configuration files and any local index or wheel folder they name: bound into the chroot as they are.
pip_config_files() {
    local f
    for f in /etc/pip.conf /etc/xdg/pip/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf" \
        "${PIP_CONFIG_FILE:-}"; do
        [ -n "$f" ] && [ -f "$f" ] && echo "$f"
    done
}
pip_local_paths() {
    local files
    files=$(pip_config_files)
    {
        [ -n "$files" ] && grep -h -o -E '(file://)?/[^[:space:]"]+' $files
        env | grep -E '^PIP_' | grep -o -E '(file://)?/[^[:space:]"]+'
    } 2>/dev/null | sed 's|^file://||' | while read -r path; do
        # a wheel folder, or a local index (…/simple, whose pages link to files beside it: bind its parent);
        # config files themselves are copied
        case "$path" in */simple | */simple/) path=$(dirname "$path") ;; esac
        [ -d "$path" ] && echo "$path"
        [ -f "$path" ] && case "$path" in *.conf) ;; *) echo "$path" ;; esac
    done | sort -u
}

key_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# Everything below runs as root: debootstrap, chroot and mount need it.
need_root() {
    [ "$(id -u)" = 0 ] && return 0
    fail "QGIS $VERSION ($SUITE): skipped: building and entering a chroot needs root (run make test as root, or with sudo)"
}

# run_in DIR CMD...: CMD inside the chroot DIR, in a private mount namespace.
run_in() {
    local dir=$1
    shift
    local binds=("$ROOT")
    # The shared test data (../shared) sits beside the clone in CI and in sessions.
    [ -d "$ROOT/../shared" ] && binds+=("$(cd "$ROOT/../shared" && pwd)")
    local extra
    while read -r extra; do [ -n "$extra" ] && binds+=("$extra"); done < <(pip_local_paths)
    # The mounts are undone when the run ends (the trap); in a private mount namespace they also vanish with it
    # whatever ends the run. /dev and /sys are slaves: undoing them never reaches the host's own mounts.
    local script='dir=$1; shift
        mounted=()
        undo() { local i; for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R -l "${mounted[$i]}" 2>/dev/null; done; }
        trap undo EXIT
        set -e
        mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
        mount --rbind /dev "$dir/dev" && mounted+=("$dir/dev") && mount --make-rslave "$dir/dev"
        mount --rbind /sys "$dir/sys" && mounted+=("$dir/sys") && mount --make-rslave "$dir/sys"
        while [ "$1" != -- ]; do
            if [ -d "$1" ]; then mkdir -p "$dir$1"; else mkdir -p "$(dirname "$dir$1")"; touch "$dir$1"; fi
            mount --bind "$1" "$dir$1" && mounted+=("$dir$1")
            shift
        done
        shift
        set +e
        chroot "$dir" "$@"'
    # A host that is itself a chroot has no mount namespace of its own to make private (/ is not a mount
    # point there): the trap alone undoes the mounts.
    local private=(unshare --mount --propagation private)
    "${private[@]}" true 2>/dev/null || private=()
    # The host CA bundle and pip settings go in before each run: the package indexes may need them.
    mkdir -p "$dir/etc/ssl/certs" "$dir/etc/xdg/pip" "$dir/root/.config/pip"
    [ -f /etc/ssl/certs/ca-certificates.crt ] && cp -f /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
    local f
    while read -r f; do
        [ -n "$f" ] || continue
        case "$f" in
            "$HOME"/*) mkdir -p "$(dirname "$dir/root/${f#"$HOME"/}")" && cp -f "$f" "$dir/root/${f#"$HOME"/}" ;;
            *) mkdir -p "$dir$(dirname "$f")" && cp -f "$f" "$dir$f" ;;
        esac
    done < <(pip_config_files)
    cp -f /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    "${private[@]}" bash -c "$script" run_in "$dir" "${binds[@]}" -- \
        /usr/bin/env HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 "$@"
}

free_gib() { df -P -BG "$1" | awk 'NR == 2 { sub("G", "", $4); print $4 }'; }

# The Debian layer: debootstrap, then Debian's QGIS and build tools.
ensure_base() {
    local key stamp="$DIR/.tilewise-base"
    key=$(printf '%s %s %s %s' "$LAYOUT" "$SUITE" "$APT_PACKAGES" "$EXTRA_PACKAGES" | key_of -)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
        # sid moves: refresh a chroot older than a week (a failure keeps the one we have)
        if [ -n "$(find "$stamp" -mtime +7 2>/dev/null)" ]; then
            say "QGIS $VERSION ($SUITE): refreshing the week-old chroot"
            run_in "$DIR" apt-get "${APT_OPTIONS[@]}" update -q >>"$LOG" 2>&1 &&
                run_in "$DIR" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTIONS[@]}" dist-upgrade -y -q \
                    >>"$LOG" 2>&1 && touch "$stamp"
        fi
        return 0
    fi
    local free
    free=$(free_gib "$CACHE")
    [ "${free:-0}" -ge 6 ] || fail "QGIS $VERSION ($SUITE): skipped: $CACHE has ${free:-0} GiB free, a chroot needs 6 (free some disk or set TILEWISE_CACHE)"
    command -v debootstrap >/dev/null || fail "QGIS $VERSION ($SUITE): skipped: debootstrap is not installed (apt-get install debootstrap)"
    say "QGIS $VERSION ($SUITE): building the chroot in $DIR (log: $LOG)"
    rm -rf "$DIR.new"
    local url
    url=$(mirror)
    if ! debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$DIR.new" "$url" >>"$LOG" 2>&1; then
        fail "QGIS $VERSION ($SUITE): skipped: debootstrap from $url failed ($(grep -E '^(E|W):' "$LOG" | tail -n 1 || echo 'see the log')); log: $LOG"
    fi
    printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
        >"$DIR.new/etc/apt/apt.conf.d/99tilewise-snapshot"
    # Keep documentation out and the image small.
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\npath-include /usr/share/locale/locale.alias\n' \
        >"$DIR.new/etc/dpkg/dpkg.cfg.d/01tilewise-nodoc"
    if ! { run_in "$DIR.new" apt-get update -q &&
        run_in "$DIR.new" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            $APT_PACKAGES $EXTRA_PACKAGES; } >>"$LOG" 2>&1; then
        fail "QGIS $VERSION ($SUITE): skipped: installing QGIS in the chroot failed ($(grep -E '^(E|W):' "$LOG" | tail -n 1)); log: $LOG"
    fi
    run_in "$DIR.new" apt-get clean >>"$LOG" 2>&1
    echo "$key" >"$DIR.new/.tilewise-base"
    rm -rf "$DIR"
    mv "$DIR.new" "$DIR"
}

# The Python layer: the project venv (Debian's numpy, GDAL and QGIS through --system-site-packages) and the
# sentinelhub-py client venvs, as make setup builds them on a host.
ensure_venvs() {
    local key stamp="$DIR/opt/tilewise/.stamp"
    key=$(key_of "$ROOT/requirements.txt" "$ROOT"/tests/clients/requirements-*.txt "$DIR/.tilewise-base")
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && return 0
    say "QGIS $VERSION ($SUITE): installing the Python requirements (log: $LOG)"
    local steps="set -e
        rm -rf /opt/tilewise && mkdir -p /opt/tilewise/clients
        /usr/bin/python3 -m venv --system-site-packages /opt/tilewise/venv
        /opt/tilewise/venv/bin/pip install -q -r '$ROOT/requirements.txt'"
    local req name
    for req in "$ROOT"/tests/clients/requirements-*.txt; do
        name=$(basename "$req" .txt)
        name=${name#requirements-}
        steps+="
        /usr/bin/python3 -m venv /opt/tilewise/clients/$name
        /opt/tilewise/clients/$name/bin/pip install -q -r '$req'"
    done
    if ! run_in "$DIR" bash -c "$steps" >>"$LOG" 2>&1; then
        fail "QGIS $VERSION ($SUITE): skipped: pip could not install the requirements ($(grep -E 'ERROR' "$LOG" | tail -n 1)); log: $LOG"
    fi
    echo "$key" >"$stamp"
}

ensure() {
    need_root
    mkdir -p "$CACHE/chroots" || fail "QGIS $VERSION ($SUITE): skipped: cannot create $CACHE/chroots"
    ensure_base || exit 1
    ensure_venvs || exit 1
}

# Inside the chroot the project is imported as `tilewise` through a link to this clone, as make setup does.
link_clone() {
    run_in "$DIR" bash -c "set -e
        mkdir -p /opt/tilewise/venv/src
        ln -sfn '$ROOT' /opt/tilewise/venv/src/tilewise
        echo /opt/tilewise/venv/src > \$(/opt/tilewise/venv/bin/python -c 'import site; print(site.getsitepackages()[0])')/tilewise-src.pth"
}

VERSION_ENV=(QT_QPA_PLATFORM=offscreen TILEWISE_CLIENT_VENVS=/opt/tilewise/clients)

command=${1:-}
VERSION=${2:-}
[ -n "$command" ] && [ -n "$VERSION" ] || fail "usage: $0 suite|ensure|run|test VERSION [ARGS]"
shift 2
SUITE=$(suite_of "$VERSION") || exit 1
DIR="$CACHE/chroots/$SUITE"
LOG="$CACHE/chroots/$SUITE.log"

case "$command" in
    suite) echo "$SUITE" ;;
    ensure) ensure ;;
    run)
        need_root
        [ -f "$DIR/opt/tilewise/.stamp" ] || fail "QGIS $VERSION ($SUITE): no chroot yet: run $0 ensure $VERSION"
        link_clone && run_in "$DIR" env "${VERSION_ENV[@]}" bash -c "cd '$ROOT' && \"\$@\"" run "$@"
        ;;
    test)
        ensure
        link_clone || exit 1
        installed=$(run_in "$DIR" dpkg-query -W -f='${Version}' qgis 2>/dev/null)
        say "QGIS $VERSION ($SUITE): Debian's qgis $installed"
        [ $# -gt 0 ] || set -- tests/qgis tests/e2e
        run_in "$DIR" env "${VERSION_ENV[@]}" bash -c "cd '$ROOT' && exec /opt/tilewise/venv/bin/pytest -p no:cacheprovider \"\$@\"" \
            pytest "$@"
        ;;
    *) fail "usage: $0 suite|ensure|run|test VERSION [ARGS]" ;;
esac
