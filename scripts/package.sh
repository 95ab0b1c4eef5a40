#!/usr/bin/env bash
# Builds the Debian packages qazline-agent (lineagent) and qazline-registrar (qazserver) with dpkg-deb:
# the binary, an example configuration under /etc/qazline (a conffile), the systemd unit, maintainer scripts that
# create the user qazline and its state directory, and Depends computed from the binary's shared libraries
# (dpkg-shlibdeps). See docs/packages.md.
#
#   scripts/package.sh [--release|--debug] [--out DIR] [--version V] [--no-build]
#
#   --release    (default) swift build -c release --static-swift-stdlib: the binaries carry the Swift runtime and
#                Foundation, so the packages depend on Debian's libraries only, never on the toolchain.
#   --debug      package the debug build as it is (what scripts/package-test.sh uses: no release compile). Its
#                binaries load the Swift runtime from the toolchain (/opt/swift/...), so they run only on a machine
#                with the same toolchain; the script says which libraries are left out of Depends.
#   --out DIR    where the .deb files go (default: dist/)
#   --version V  the packages' version (default: 0.1.0+git<UTC date>.<commit>)
#   --no-build   use the binaries already built
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

configuration=release
out=dist
version=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --release) configuration=release ;;
    --debug) configuration=debug ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    --version) version="${2:?--version needs a value}"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$version" ]; then
  version="0.1.0+git$(date -u +%Y%m%d).$(git rev-parse --short=8 HEAD 2>/dev/null || echo unknown)"
fi
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]]; then
  echo "package.sh: --version $version is not a Debian version (digits first, then letters, digits and . + ~ -)" >&2
  exit 2
fi
for tool in dpkg-deb dpkg-shlibdeps objcopy; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
arch="$(dpkg --print-architecture)"
started=$SECONDS

products=(lineagent qazserver)
if [ "$configuration" = release ]; then
  flags=(-c release --static-swift-stdlib)
else
  flags=()
fi
if [ "$build" = 1 ]; then
  for product in "${products[@]}"; do
    echo "== swift build ${flags[*]} --product $product"
    swift build "${flags[@]}" --product "$product"
  done
fi
bin="$(swift build "${flags[@]}" --show-bin-path)"
for product in "${products[@]}"; do
  [ -x "$bin/$product" ] || { echo "package.sh: $bin/$product is not built (run without --no-build)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/qazline-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Depends of a binary: dpkg-shlibdeps over its shared libraries (it needs a debian/control to run in). Libraries no
# Debian package owns (a toolchain's Swift runtime in a debug build) are reported and left out.
depends_of() {
  local binary="$1" package="$2" dir="$work/shlibs-$package" output
  mkdir -p "$dir/debian"
  printf 'Source: qazline\n\nPackage: %s\nArchitecture: any\n' "$package" > "$dir/debian/control"
  if ! output="$(cd "$dir" && dpkg-shlibdeps -O --ignore-missing-info -e"$binary" 2>"$dir/warnings")"; then
    cat "$dir/warnings" >&2
    echo "package.sh: dpkg-shlibdeps failed for $binary" >&2
    return 1
  fi
  # The binary's own (NEEDED) libraries that no Debian package owns; one dpkg -S for all of them (merged /usr: a
  # library is looked up under /lib and /usr/lib, as linked and with symlinks resolved).
  local needed paths candidates owned unowned
  needed="$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
  paths="$(ldd "$binary" | awk -v needed="$needed" 'BEGIN { n = split(needed, list, "\n"); for (i = 1; i <= n; i++) want[list[i]] = 1 }
                                                    ($1 in want) && $3 ~ /^\// { print $3 }')"
  candidates="$(for lib in $paths; do
    for path in "$lib" "$(readlink -f "$lib")"; do echo "$path"; echo "${path#/usr}"; echo "/usr${path#/usr}"; done
  done | sort -u)"
  owned="$(dpkg -S $candidates 2>/dev/null | sed 's/^[^:]*:[^ ]* //; s/^[^:]*: //' | sort -u)"
  unowned="$(for lib in $paths; do
    found=0
    for path in "$lib" "$(readlink -f "$lib")"; do
      for variant in "${path#/usr}" "/usr${path#/usr}"; do grep -qxF "$variant" <<<"$owned" && found=1; done
    done
    [ "$found" = 1 ] || echo "$lib"
  done)"
  if [ -n "$unowned" ]; then
    if [ "$configuration" = release ]; then
      echo "package.sh: $binary links libraries no Debian package provides:" >&2
      echo "$unowned" | sed 's/^/  /' >&2
      echo "package.sh: a release package must not depend on them (is --static-swift-stdlib in effect?)" >&2
      return 1
    fi
    echo "package.sh: debug build: $package loads $(echo "$unowned" | wc -l) libraries no Debian package provides, from" \
      "$(echo "$unowned" | xargs -n1 dirname | sort -u | tr '\n' ' ')(the toolchain's Swift runtime; not in Depends)" >&2
  fi
  echo "${output#shlibs:Depends=}"
}

# stage PACKAGE BINARY SERVICE-DIR CONFIG-NAME DESCRIPTION GROUPS DATA
stage() {
  local package="$1" binary="$2" source="$3" config="$4" summary="$5" groups="$6" data="$7"
  local root="$work/$package" state="/var/lib/qazline/${package#qazline-}"
  local service="$package.service"
  echo "== $package: staging"
  install -d "$root/DEBIAN" "$root/usr/bin" "$root/etc/qazline" "$root/lib/systemd/system" "$root/usr/share/doc/$package"
  install -m 0755 "$bin/$binary" "$root/usr/bin/$binary"
  # Debug sections are for the build tree; the package carries the program (Swift's reflection metadata stays).
  objcopy --strip-debug "$root/usr/bin/$binary"
  install -m 0644 "packaging/$source/$config" "$root/etc/qazline/$config"
  install -m 0644 "packaging/$source/$service" "$root/lib/systemd/system/$service"
  if [ "$package" = qazline-agent ]; then
    # The camera calibration the example configuration names (calibration/line1-top.yaml), as an example to edit.
    install -D -m 0644 Calibration/line1-top.yaml "$root/etc/qazline/calibration/line1-top.yaml"
  fi
  install -m 0644 docs/packages.md "$root/usr/share/doc/$package/packages.md"
  printf 'QazLine %s\nCopyright: the QazLine authors. See the project repository for the licence.\n' "$package" \
    > "$root/usr/share/doc/$package/copyright"
  find "$root/etc" -type f | sed "s|^$root||" | sort > "$root/DEBIAN/conffiles"
  for script in postinst prerm postrm; do
    sed -e "s|@PACKAGE@|$package|g" -e "s|@SERVICE@|$service|g" -e "s|@STATE@|$state|g" \
        -e "s|@CONFIG@|/etc/qazline/$config|g" -e "s|@GROUPS@|$groups|g" -e "s|@DATA@|$data|g" \
        "packaging/maintscripts/$script.in" > "$root/DEBIAN/$script"
    chmod 0755 "$root/DEBIAN/$script"
  done
  local depends
  depends="$(depends_of "$root/usr/bin/$binary" "$package")"
  cat > "$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: QazLine <qazline@example.kz>
Section: misc
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: adduser, ${depends}
Description: $summary
 QazLine: line-side track-and-trace for excise-stamped alcohol (QazTrack pilot,
 Kazakhstan). Runs as the systemd service $service (Type=notify, watchdog,
 hardened) under the user qazline; configuration in /etc/qazline/$config.
CONTROL
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  local compression=(-Zxz)
  [ "$configuration" = debug ] && compression=(-Zgzip -z1)
  local deb="$out/${package}_${version}_${arch}.deb"
  dpkg-deb --build --root-owner-group "${compression[@]}" "$root" "$deb" >/dev/null
  echo "== $deb ($(du -h "$deb" | cut -f1); binary $(du -h "$root/usr/bin/$binary" | cut -f1))"
  echo "   Depends: adduser, $depends"
}

stage qazline-agent lineagent agent agent.yaml "QazLine line agent (cameras, PLC, decisions, outbox, activations)" \
  "video dialout" "the outbox: decisions and activations not yet delivered"

stage qazline-registrar qazserver registrar registrar.yaml "QazLine registrar (qazserver: activations, look-ups, monthly reports)" \
  "" "the registrar's SQLite database"

echo "== packages in $out ($configuration build, $((SECONDS - started)) s):"
ls -l "$out"/qazline-agent_"${version}"_"$arch".deb "$out"/qazline-registrar_"${version}"_"$arch".deb
