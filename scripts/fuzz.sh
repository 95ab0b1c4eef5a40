#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a fixed time (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N] [target…]     targets: payload config server (default: all three), N default 30
#
# Exits non-zero on any crash, leak, timeout or out-of-memory; the input that caused it is kept under
# .build-fuzz/artifacts/<target>/ and its path printed. Everything is built in .build-fuzz (never .build).
#   payload, config: the needed sources (Sources/LineCore, ConfigKit, LineConfig and Yams) compiled with swiftc -O.
#   server: SwiftPM builds QazServer and its dependencies with -sanitize=fuzzer,address in .build-fuzz (debug; the
#           first build takes long), and the harness is linked against those objects.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

seconds=30
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    payload|config|server) targets+=("$1"); shift ;;
    *) echo "fuzz: unknown argument \"$1\" (targets: payload config server; option: --seconds N)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(payload config server)
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds expects a whole number, got \"$seconds\"" >&2; exit 2 ;; esac

scratch="$root/.build-fuzz"
out="$scratch/direct"
mkdir -p "$out"
# The language mode and upcoming features of Package.swift, so the sources compile as they do in the package.
swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -swift-version 6
             -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility)
log() { echo "fuzz: $*" >&2; }

# Compiles a module from sources into $out/<name>.o and .swiftmodule.
module() {
  local name="$1"; shift
  swiftc "${swift_flags[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
    -I "$out" "$@" -c -o "$out/$name.o"
}

# Rebuilds `output` only when a source under the given paths is newer.
stale() {
  local output="$1"; shift
  [ ! -e "$output" ] || [ -n "$(find "$@" -newer "$output" -print -quit)" ]
}

build_payload() {
  if stale "$out/LineCore.o" Sources/LineCore; then log "compiling LineCore"; module LineCore Sources/LineCore/*.swift; fi
  if stale "$out/payload-fuzz" Fuzz/payload "$out/LineCore.o"; then
    swiftc "${swift_flags[@]}" -I "$out" Fuzz/payload/*.swift "$out/LineCore.o" -o "$out/payload-fuzz" 2> >(grep -v "ld.gold: warning" >&2)
  fi
}

build_config() {
  build_payload
  local yams="$scratch/checkouts/Yams/Sources"
  if [ ! -d "$yams" ]; then log "resolving packages (for Yams)"; swift package --scratch-path "$scratch" resolve; fi
  local yaml_include=(-I "$yams/CYaml/include")
  if stale "$out/Yams.o" "$yams" "$root/Package.resolved"; then
    log "compiling CYaml and Yams"
    for c in "$yams"/CYaml/src/*.c; do
      clang -c -O1 -DYAML_DECLARE_STATIC -fsanitize=fuzzer-no-link,address "${yaml_include[@]}" "$c" -o "$out/cyaml-$(basename "$c" .c).o"
    done
    # Yams' own settings: the C header is imported only when built as a package.
    swiftc -sanitize=fuzzer,address -parse-as-library -O -wmo -D SWIFT_PACKAGE -module-name Yams -emit-module \
      -emit-module-path "$out/Yams.swiftmodule" -Xcc -DYAML_DECLARE_STATIC "${yaml_include[@]}" "$yams"/Yams/*.swift -c -o "$out/Yams.o"
  fi
  if stale "$out/ConfigKit.o" Sources/ConfigKit "$out/Yams.o"; then log "compiling ConfigKit"; module ConfigKit "${yaml_include[@]}" Sources/ConfigKit/*.swift; fi
  if stale "$out/LineConfig.o" Sources/LineConfig "$out/ConfigKit.o" "$out/LineCore.o"; then
    log "compiling LineConfig"; module LineConfig "${yaml_include[@]}" Sources/LineConfig/*.swift
  fi
  if stale "$out/config-fuzz" Fuzz/config "$out/LineConfig.o"; then
    swiftc "${swift_flags[@]}" -I "$out" "${yaml_include[@]}" Fuzz/config/*.swift "$out"/LineConfig.o "$out"/ConfigKit.o \
      "$out"/Yams.o "$out"/LineCore.o "$out"/cyaml-*.o -o "$out/config-fuzz" 2> >(grep -v "ld.gold: warning" >&2)
  fi
}

build_server() {
  log "building QazServer with -sanitize=fuzzer,address (SwiftPM, $scratch)"
  swift build --scratch-path "$scratch" --target QazServer -Xswiftc -sanitize=fuzzer -Xswiftc -sanitize=address \
    -Xswiftc -enable-testing 2>&1 | grep -v "ld.gold: warning" | tail -n 5
  local bin
  bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
  # Every object SwiftPM built here belongs to QazServer's dependency closure (this scratch path builds nothing else).
  local objects=() maps=()
  mapfile -t objects < <(find "$bin" -path "$bin/*.build/*" -name '*.o' | sort)
  # Module maps: generated ones for C targets, and those of system-library targets (GRDBSQLite).
  mapfile -t maps < <({ find "$bin" -maxdepth 2 -path "$bin/*.build/module.modulemap"
                        find "$scratch/checkouts" -path "$scratch/checkouts/*/Sources/*/module.modulemap"; } | sort)
  local includes=()
  for map in "${maps[@]}"; do includes+=(-Xcc "-fmodule-map-file=$map"); done
  while IFS= read -r dir; do includes+=(-Xcc -I -Xcc "$dir"); done < <(find "$scratch/checkouts" -type d -name include | sort)
  if stale "$out/server-fuzz" Fuzz/server "$bin/QazServer.build"; then
    log "linking server-fuzz (${#objects[@]} objects)"
    swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -I "$bin/Modules" "${includes[@]}" Fuzz/server/*.swift \
      "${objects[@]}" -lsqlite3 -lz -lstdc++ -lcrypto -o "$out/server-fuzz" 2> >(grep -v "ld.gold: warning" >&2)
  fi
}

status=0
summary=()
for target in "${targets[@]}"; do
  "build_$target"
  corpus="$scratch/corpus/$target"
  artifacts="$scratch/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  log "running $target for ${seconds}s"
  # New inputs go to the generated corpus; Fuzz/corpus/<target> holds the checked-in seeds (read only).
  set +e
  # SWIFT_BACKTRACE off: the Swift backtracer would take the crash signal before libFuzzer saves the input.
  SWIFT_BACKTRACE=enable=no QAZ_FUZZ_CONFIG_DIR="$root/Config" LSAN_OPTIONS="suppressions=$root/Fuzz/lsan-suppressions.txt" \
    "$out/$target-fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "Fuzz/corpus/$target" > "$scratch/$target.log" 2>&1
  code=$?
  set -e
  runs="$(sed -n "s/^stat::number_of_executed_units: *//p" "$scratch/$target.log" | tail -n 1)"
  speed="$(sed -n "s/^stat::average_exec_per_sec: *//p" "$scratch/$target.log" | tail -n 1)"
  if [ "$code" -eq 0 ]; then
    summary+=("$target: ${runs:-?} runs in ${seconds} s (${speed:-?}/s), 0 crashes")
  else
    status=1
    found="$(grep -o "Test unit written to .*" "$scratch/$target.log" | sed 's/Test unit written to //' | tail -n 1)"
    summary+=("$target: FAILED (exit $code) after ${runs:-?} runs; input: ${found:-none}; log: $scratch/$target.log")
    grep -m 1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|fatal error" "$scratch/$target.log" >&2 || true
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit "$status"
