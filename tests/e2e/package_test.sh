#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages: scripts/package builds them from the test's build tree, `dpkg -x`
# unpacks them into a scratch root, and the installed binaries must run from there: each
# one's version, then a collect-and-query round trip (flowcapd on 127.0.0.1, flowsend's
# sample traffic, flowdump on the file), also under nfdump's names from the compat package.
# Checks the control fields (library dependencies, Conflicts/Provides of the compat
# package), the maintainer scripts, and the systemd units with `systemd-analyze verify`
# when it is installed.
source "$(dirname "$0")/lib.sh"

for tool in dpkg-deb cpack dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || skip "$tool not installed (apt install dpkg-dev cmake)"
done
[ -f "$FLOWKIT_BIN/CMakeCache.txt" ] || skip "no configured build tree at $FLOWKIT_BIN"
[ -x "$FLOWCAPD" ] && [ -x "$FLOWDUMP" ] && [ -x "$FLOWKIT_BIN/flowexpire" ] ||
    skip "flowcapd/flowdump/flowexpire not built in $FLOWKIT_BIN"
[ -f "$FLOWKIT_BIN/man/flowdump.1.gz" ] || skip "man pages not built in $FLOWKIT_BIN (target man_pages)"

# The tree ctest runs against is packaged as it is: building here would race other tests.
# Called from $WORK with a relative --out, which names a directory there, not in the source
# tree the script works in.
(cd "$WORK" && "$FLOWKIT_SOURCE_DIR/scripts/package" --build-dir "$FLOWKIT_BIN" --out pkg \
    --no-build) >"$WORK/debs" 2>"$WORK/package.log" ||
    { cat "$WORK/package.log" >&2; fail "scripts/package"; }
if grep -qv "^$WORK/pkg/[^/]*\.deb$" "$WORK/debs"; then
    fail "scripts/package --out pkg from $WORK wrote elsewhere: $(cat "$WORK/debs")"
fi
main_deb=$(grep '/flowkit_[^/]*\.deb$' "$WORK/debs") || fail "no flowkit_*.deb in: $(cat "$WORK/debs")"
compat_deb=$(grep '/flowkit-nfdump-compat_[^/]*\.deb$' "$WORK/debs") ||
    fail "no flowkit-nfdump-compat_*.deb in: $(cat "$WORK/debs")"
[ "$(grep -c . "$WORK/debs")" -eq 2 ] || fail "expected two packages, got: $(cat "$WORK/debs")"
version=$(dpkg-deb -f "$main_deb" Version)

# ---- control fields ----
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$main_deb" Package)" = flowkit ] || fail "main package name: $(field "$main_deb" Package)"
depends=$(field "$main_deb" Depends)
# dpkg-shlibdeps' answer for what the tools link: each library's Debian 12 package. libc
# and libpcap (flowcapd -f, flowprobe) always; the others only when the tree links them as shared
# libraries (-DFLOWKIT_STATIC_LIBS=OFF, sanitizer builds), which the loop below checks.
for lib in libc6 libpcap0.8; do
    [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]] ||
        fail "Depends lacks $lib: $depends"
done
# With FLOWKIT_STATIC_LIBS (the default) the tools load no shared library but libc, libm,
# the dynamic loader and libpcap (flowcapd, flowprobe).
if grep -q '^FLOWKIT_STATIC_LIBS:BOOL=ON' "$FLOWKIT_BIN/CMakeCache.txt" &&
    ! grep -q '^FLOWKIT_SANITIZE:BOOL=ON' "$FLOWKIT_BIN/CMakeCache.txt"; then
    for tool in flowcapd flowdump flowexpire flowprobe; do
        others=$(objdump -p "$FLOWKIT_BIN/$tool" | awk '$1 == "NEEDED" { print $2 }' |
            grep -v -E '^(libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|libpcap\.so\.0\.8)$' |
            tr '\n' ' ' || true)
        [ -z "$others" ] || fail "$tool links shared libraries it should carry: $others"
    done
fi
# Every library a tool needs directly (NEEDED) comes from a package listed in Depends.
for tool in flowcapd flowdump flowexpire flowprobe; do
    [ -x "$FLOWKIT_BIN/$tool" ] || continue
    ldd "$FLOWKIT_BIN/$tool" >"$WORK/ldd"
    while read -r soname; do
        path=$(awk -v so="$soname" '$1 == so && $3 ~ /^\// { print $3 }' "$WORK/ldd")
        [ -n "$path" ] || continue
        pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) ||
            pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || continue
        [ -n "$pkg" ] || continue
        [[ ", $depends," == *", $pkg "* || ", $depends," == *", $pkg,"* ]] ||
            fail "$tool needs $soname of package $pkg, not in Depends: $depends"
    done < <(objdump -p "$FLOWKIT_BIN/$tool" | awk '$1 == "NEEDED" { print $2 }')
done
[ "$(field "$compat_deb" Package)" = flowkit-nfdump-compat ] || fail "compat package name"
[ "$(field "$compat_deb" Conflicts)" = "nfdump, nfdump-sflow" ] ||
    fail "compat Conflicts: '$(field "$compat_deb" Conflicts)'"
[ "$(field "$compat_deb" Provides)" = "nfdump, nfdump-sflow" ] ||
    fail "compat Provides: '$(field "$compat_deb" Provides)'"
[ -z "$(field "$compat_deb" Replaces)" ] || fail "compat must not Replace nfdump's files"
[ "$(field "$compat_deb" Depends)" = "flowkit (= $version)" ] ||
    fail "compat Depends: '$(field "$compat_deb" Depends)', version $version"
[ -z "$(field "$main_deb" Conflicts)" ] || fail "the main package conflicts with something"

# ---- files ----
root=$WORK/root
dpkg-deb -x "$main_deb" "$root"
for f in usr/bin/flowcapd usr/bin/flowdump usr/bin/flowexpire usr/bin/flowprobe \
    usr/bin/flowdump-ssh usr/share/man/man8/flowcapd.8.gz usr/share/man/man1/flowdump.1.gz \
    usr/share/man/man1/flowexpire.1.gz usr/share/man/man8/flowprobe.8.gz \
    usr/share/doc/flowkit/copyright \
    usr/share/doc/flowkit/consoles.md usr/share/doc/flowkit/compatibility.md \
    usr/share/doc/flowkit/examples/flowcapd.conf.example \
    usr/lib/systemd/system/flowcapd@.service usr/lib/systemd/system/flowexpire@.service \
    usr/lib/systemd/system/flowexpire@.timer usr/lib/sysusers.d/flowkit.conf; do
    [ -e "$root/$f" ] || fail "$f not in $(basename "$main_deb")"
done
gzip -t "$root/usr/share/man/man1/flowdump.1.gz" || fail "flowdump.1.gz is not gzip"
# The Debian changelog's first entry is the package's version.
changelog_head() { gzip -dc "$root/usr/share/doc/$1/changelog.Debian.gz" | head -n 1; }
[[ $(changelog_head flowkit) == "flowkit ($version) "* ]] ||
    fail "changelog.Debian.gz of flowkit starts '$(changelog_head flowkit)', version $version"
# The description names every tool the package installs.
description=$(field "$main_deb" Description)
for tool in "$root"/usr/bin/flow*; do
    tool=${tool##*/}
    [[ $description == *"$tool"* ]] || fail "the Description does not name $tool: $description"
done
if dpkg-deb -c "$main_deb" | grep -E ' \./(usr/)?bin/(nfcapd|sfcapd|nfdump|nfexpire)( |$)'; then
    fail "the main package holds nfdump's names"
fi
# The units run the installed binaries.
grep -qx 'ExecStart=/usr/bin/flowcapd -p ${FLOWCAPD_PORT} -w ${FLOWCAPD_DIR} -I %i $FLOWCAPD_OPTIONS' \
    "$root/usr/lib/systemd/system/flowcapd@.service" || fail "flowcapd@.service ExecStart"
grep -q '^ExecStart=/usr/bin/flowexpire -e ' "$root/usr/lib/systemd/system/flowexpire@.service" ||
    fail "flowexpire@.service ExecStart"

# `cmake --install` into another prefix: the units name that prefix's binaries, and nfdump's
# names come only with FLOWKIT_NFDUMP_NAMES=ON or the nfdump_compat component.
# It writes nothing into the build tree but CMake's own install_manifest.txt (which changes
# the tree's own time stamp; ctest's logs under Testing/ are not the install's): run as root,
# anything else there would be left root-owned in the user's tree (the units were once
# configured in build/dist/systemd).
prefix=$WORK/prefix
touch "$WORK/before-install"
sleep 1
cmake --install "$FLOWKIT_BIN" --prefix "$prefix" >"$WORK/install.log" 2>&1 ||
    { cat "$WORK/install.log" >&2; fail "cmake --install"; }
written=$(find "$FLOWKIT_BIN" -mindepth 1 -newer "$WORK/before-install" \
    ! -name install_manifest.txt ! -path "$FLOWKIT_BIN/Testing*")
[ -z "$written" ] || fail "cmake --install wrote into the build tree: $written"
grep -q "^ExecStart=$prefix/bin/flowcapd " "$prefix/lib/systemd/system/flowcapd@.service" ||
    fail "cmake --install: $(grep ExecStart "$prefix/lib/systemd/system/flowcapd@.service")"
names=$(grep -c '^FLOWKIT_NFDUMP_NAMES:BOOL=ON$' "$FLOWKIT_BIN/CMakeCache.txt" || true)
[ "$([ -L "$prefix/bin/nfdump" ] && echo 1 || echo 0)" = "$names" ] ||
    fail "cmake --install: bin/nfdump present=$([ -L "$prefix/bin/nfdump" ] && echo 1 || echo 0), FLOWKIT_NFDUMP_NAMES=$names"
cmake --install "$FLOWKIT_BIN" --prefix "$prefix" --component nfdump_compat >/dev/null ||
    fail "cmake --install --component nfdump_compat"
[ "$(readlink "$prefix/bin/nfdump")" = flowdump ] || fail "--component nfdump_compat: no nfdump"

# ---- the installed binaries run ----
bin=$root/usr/bin
for tool in flowcapd flowdump; do
    out=$("$bin/$tool" -V) || fail "$tool -V exited $?"
    [[ $out =~ ^(.*/)?$tool:\ Version:\ [0-9]+\.[0-9]+ ]] || fail "$tool -V printed '$out'"
done
if [ -e "$bin/flowprobe" ]; then
    out=$("$bin/flowprobe" -V) || fail "flowprobe -V exited $?"
    [[ $out =~ ^flowprobe:\ Version: ]] || fail "flowprobe -V printed '$out'"
fi
# flowexpire has no -V, as nfexpire has none: usage on stdout, exit status 250.
rc=0
"$bin/flowexpire" -V >"$WORK/expire.out" 2>&1 || rc=$?
[ "$rc" -eq 250 ] && grep -q '^usage flowexpire' "$WORK/expire.out" ||
    fail "flowexpire -V: exit $rc, $(head -2 "$WORK/expire.out")"
"$bin/flowdump-ssh" >/dev/null 2>"$WORK/ssh.err" && fail "flowdump-ssh ran without a host"
grep -q FLOWDUMP_SSH_HOST "$WORK/ssh.err" || fail "flowdump-ssh: $(cat "$WORK/ssh.err")"

# round_trip NAME CAPD DUMP: CAPD collects 100 sample flows on loopback, DUMP reads 100 back.
round_trip() {
    local name=$1 capd=$2 dump=$3
    local dir=$WORK/flows-$name port
    port=$(free_port)
    start_collector "$name" "$dir" "$port" "$capd" -b 127.0.0.1 -p "$port" -w "$dir" -t 300 \
        -I "$name"
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows 100 2>>"$WORK/send.log" ||
        fail "flowsend to $name"
    stop_collector "$name"
    local n
    n=$("$dump" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
    [ "$n" -eq 100 ] || fail "$name: $dump read $n flows of 100: $(cat "$WORK/$name.log")"
    "$dump" -R "$dir" -I | grep -qx "Ident: $name" || fail "$name: ident not stored"
}
round_trip installed "$bin/flowcapd" "$bin/flowdump"

# ---- the compat package: nfdump's names, run from the scratch root ----
dpkg-deb -x "$compat_deb" "$root"
for pair in nfcapd:flowcapd:8 sfcapd:flowcapd:8 nfdump:flowdump:1 nfexpire:flowexpire:1; do
    IFS=: read -r name tool sec <<<"$pair"
    [ "$(readlink "$bin/$name")" = "$tool" ] || fail "$name links to '$(readlink "$bin/$name")'"
    [ "$(readlink "$root/usr/share/man/man$sec/$name.$sec.gz")" = "$tool.$sec.gz" ] ||
        fail "man page $name.$sec.gz"
done
[ -f "$root/usr/share/doc/flowkit-nfdump-compat/copyright" ] ||
    fail "no usr/share/doc/flowkit-nfdump-compat/copyright in $(basename "$compat_deb")"
[[ $(changelog_head flowkit-nfdump-compat) == "flowkit ($version) "* ]] ||
    fail "changelog.Debian.gz of the compat package: '$(changelog_head flowkit-nfdump-compat)'"
dpkg-deb -c "$compat_deb" | awk '{ print $6 }' | grep -v '/$' |
    grep -vE '^\./usr/(bin/(nfcapd|sfcapd|nfdump|nfexpire)|share/man/man1/(nfdump|nfexpire)\.1\.gz|share/man/man8/(nfcapd|sfcapd)\.8\.gz|share/doc/.*)$' &&
    fail "unexpected files in the compat package"
out=$("$bin/nfdump" -V) || fail "nfdump -V exited $?"
[[ $out =~ Version:\ 1\.7\. ]] || fail "nfdump -V printed '$out'"
round_trip compat "$bin/nfcapd" "$bin/nfdump"
out=$("$bin/sfcapd" -V) || fail "sfcapd -V exited $?"
[[ $out =~ ^sfcapd:\ Version: ]] || fail "sfcapd -V printed '$out'"

# ---- maintainer scripts, with stand-ins for getent/systemd-sysusers/useradd ----
control=$WORK/control
dpkg-deb -e "$main_deb" "$control"
[ -x "$control/postinst" ] && [ -x "$control/postrm" ] || fail "postinst/postrm missing"
stubs=$WORK/stubs
mkdir -p "$stubs" "$WORK/basics"
# The PATH of these runs holds only the stand-ins and a shell: no real user database and no
# running systemd is touched, whatever this host has.
ln -sf "$(command -v sh)" "$WORK/basics/sh"
# postinst_with USER_EXISTS HAVE_SYSUSERS: runs `postinst configure`, logging the calls.
postinst_with() {
    rm -f "$stubs"/* "$WORK/calls"
    printf '#!/bin/sh\n[ "%s" = yes ] || exit 2\necho "flowkit:x:999:999::/:/usr/sbin/nologin"\n' \
        "$1" >"$stubs/getent"
    printf '#!/bin/sh\necho "${0##*/} $*" >>"%s"\n' "$WORK/calls" >"$stubs/useradd"
    cp "$stubs/useradd" "$stubs/systemctl"
    if [ "$2" = yes ]; then cp "$stubs/useradd" "$stubs/systemd-sysusers"; fi
    /bin/chmod +x "$stubs"/*
    : >"$WORK/calls"
    PATH=$stubs:$WORK/basics "$WORK/basics/sh" "$control/postinst" configure ||
        fail "postinst (user $1, sysusers $2) exited $?"
    grep -v '^systemctl daemon-reload$' "$WORK/calls" >"$WORK/calls.user" || true
}
postinst_with no yes
[ "$(cat "$WORK/calls.user")" = "systemd-sysusers flowkit.conf" ] ||
    fail "postinst with systemd-sysusers: '$(cat "$WORK/calls.user")'"
postinst_with yes yes
[ ! -s "$WORK/calls.user" ] || fail "postinst with an existing user: $(cat "$WORK/calls.user")"
postinst_with no no
grep -qx 'useradd --system --user-group .* flowkit' "$WORK/calls.user" ||
    fail "postinst without systemd-sysusers: '$(cat "$WORK/calls.user")'"
PATH=$stubs:$WORK/basics "$WORK/basics/sh" "$control/postrm" remove || fail "postrm exited $?"

# The sysusers.d entry itself, through the real systemd-sysusers into the scratch root.
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$root/etc"
    systemd-sysusers --root="$root" flowkit.conf >"$WORK/sysusers.log" 2>&1 ||
        { cat "$WORK/sysusers.log" >&2; fail "systemd-sysusers flowkit.conf"; }
    grep -q '^flowkit:x:[0-9]*:[0-9]*:[^:]*:/var/lib/flowkit:/usr/sbin/nologin$' \
        "$root/etc/passwd" || fail "sysusers made: $(cat "$root/etc/passwd")"
    grep -q '^flowkit:' "$root/etc/group" || fail "sysusers made no group flowkit"
fi

# apt resolves the main package's dependencies on this Debian, and would remove Debian's
# nfdump before installing the compat package (simulation only: nothing is installed).
if command -v apt-get >/dev/null; then
    apt-get install -s "$main_deb" >"$WORK/apt.log" 2>&1 ||
        { cat "$WORK/apt.log" >&2; fail "apt-get install -s flowkit"; }
    grep -q '^Inst flowkit ' "$WORK/apt.log" || fail "apt would not install flowkit"
    if dpkg-query -W -f='${Status}' nfdump 2>/dev/null | grep -q "install ok installed"; then
        apt-get install -s "$main_deb" "$compat_deb" >"$WORK/apt.log" 2>&1 ||
            { cat "$WORK/apt.log" >&2; fail "apt-get install -s flowkit-nfdump-compat"; }
        grep -q '^Remv nfdump ' "$WORK/apt.log" ||
            fail "apt would install the compat package beside nfdump: $(cat "$WORK/apt.log")"
    fi
fi

# ---- systemd units ----
if command -v systemd-analyze >/dev/null; then
    units=$WORK/units
    mkdir -p "$units"
    cp "$root"/usr/lib/systemd/system/flow* "$units/"
    # The instance is verified with the scratch root's binaries in place of /usr/bin.
    sed -i "s|/usr/bin/|$bin/|" "$units"/*.service
    for unit in flowcapd@test.service flowexpire@test.service flowexpire@test.timer; do
        SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$units/$unit" \
            >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "verify $unit"; }
        # Unknown keys and bad values are only warnings with exit status 0: fail on any.
        if grep -q . "$WORK/verify.log"; then
            cat "$WORK/verify.log" >&2
            fail "systemd-analyze verify $unit complained"
        fi
    done
    echo "units verified by $(systemd-analyze --version | head -1)"
else
    echo "systemd-analyze not installed: units not verified"
fi

echo "ok: $(basename "$main_deb") and $(basename "$compat_deb") install, run and collect"
