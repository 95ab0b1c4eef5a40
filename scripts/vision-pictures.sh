#!/usr/bin/env bash
# Regenerates the pictures in docs/images/ (docs/vision.md): frames of each evaluation set (seed 42) decoded by the
# chain meant for them, with what the chain saw drawn on them (lineagent decode --annotate, half size).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
swift build --product lineagent >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=docs/images
mkdir -p "$out"
declare -A chain=([nominal]=Calibration/line1-top.yaml [hard]=Calibration/line1-top.yaml [optics]=Calibration/line1-top.yaml
                  [case]=Calibration/case-top.yaml [flat]=)
declare -A frames=([nominal]="00000 00003" [hard]="00003 00004" [optics]="00001 00002 00003 00005" [case]="00000" [flat]="00005 00006")
for set in nominal hard optics case flat; do
  .build/debug/lineagent generate-frames --out "$work/$set" --count 8 --set "$set" --seed 42 >/dev/null
  for frame in ${frames[$set]}; do
    args=(decode --annotate "$work/annotated-$set")
    [ -n "${chain[$set]}" ] && args+=(--calibration "${chain[$set]}")
    .build/debug/lineagent "${args[@]}" "$work/$set/frame-$frame.png" >/dev/null
    cp "$work/annotated-$set/frame-$frame.jpg" "$out/vision-$set-$frame.jpg"
  done
done
ls -la "$out"/vision-*.jpg
