#!/usr/bin/env bash
# make-prompts.sh - the voice menu's audio from its text: prompts/zh-CN/catalogue.tsv → prompts/zh-CN/<id>.wav
# (8 kHz, 16-bit signed, mono: what Asterisk plays; the SIP adapter reads the same files).
#
# Usage: prompts/make-prompts.sh [-f]     (-f: remake every prompt, not only the changed ones)
#
# espeak-ng with the cmn-latn-pinyin voice (the cmn/zh voices read Chinese through English rules, see
# ../shared/peers/prompts), slowed for elders, then sox: band-limited resample, -3 dBFS, silence trimmed.
# Sentences keep 0.3 s of silence at the end; the short pieces that are joined into spoken values
# (numbers, dates, times, names) keep only 0.05 s so that 十一月二十五日 sounds like one phrase.
# Writes audio.manifest (id, hash of what made it) so a test can tell stale audio from fresh.
# Needs: apt-get install espeak-ng sox. The audio is committed: the service itself needs no TTS.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/zh-CN"
voice="cmn-latn-pinyin"
speed_sentence=115   # words per minute; espeak's default is 175, the peers' script 130
speed_piece=125
force=0
[ "${1:-}" = "-f" ] && force=1

for tool in espeak-ng sox soxi sha1sum; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install espeak-ng sox)" >&2; exit 1; }
done
if espeak-ng -q -x -v "$voice" "您好" 2>&1 | grep -q '(en)'; then
  echo "voice '$voice' reads Chinese through English rules" >&2
  exit 1
fi

# A piece is joined with others into one phrase; everything else is a sentence.
is_piece() {
  case "$1" in
    num_*|digit_*|letter_*|date_*|weekday_*|time_*|fac_*|svc_*|vac_*|name_*|ordinal_*|press_key|hours_to|readback_and) return 0 ;;
    *) return 1 ;;
  esac
}

# The hash of everything that decides a prompt's sound (sha1 of one line: kind, voice, speed, sentence).
recipe() {
  local id="$1" text="$2"
  if is_piece "$id"; then
    printf 'piece|%s|%s|%s' "$voice" "$speed_piece" "$text" | sha1sum | cut -c1-40
  else
    printf 'sentence|%s|%s|%s' "$voice" "$speed_sentence" "$text" | sha1sum | cut -c1-40
  fi
}

declare -A old
if [ -f "$dir/audio.manifest" ] && [ "$force" = 0 ]; then
  while IFS=$'\t' read -r id sum secs; do
    [ -n "$id" ] && [ "${id:0:1}" != "#" ] && old[$id]="$sum"
  done <"$dir/audio.manifest"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
manifest="$tmp/manifest"
printf '# id\trecipe sha1\tseconds (written by make-prompts.sh: do not edit)\n' >"$manifest"
declare -A keep
made=0 kept=0
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%$'\r'}"
  case "$line" in ''|'#'*) continue ;; esac
  id="${line%%$'\t'*}"
  text="${line#*$'\t'}"
  [[ "$id" =~ ^[a-z0-9_]+$ ]] || { echo "bad prompt id: $id" >&2; exit 1; }
  sum="$(recipe "$id" "$text")"
  keep[$id]=1
  out="$dir/$id.wav"
  if [ "${old[$id]:-}" != "$sum" ] || [ ! -f "$out" ]; then
    printf '%s' "$text" >"$tmp/text.txt"
    if is_piece "$id"; then
      espeak-ng -b 1 -v "$voice" -s "$speed_piece" -f "$tmp/text.txt" -w "$tmp/raw.wav"
      sox -G "$tmp/raw.wav" -b 16 -e signed-integer -c 1 "$out" rate -h 8000 \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3 pad 0 0.05
    else
      espeak-ng -b 1 -v "$voice" -s "$speed_sentence" -f "$tmp/text.txt" -w "$tmp/raw.wav"
      sox -G "$tmp/raw.wav" -b 16 -e signed-integer -c 1 "$out" rate -h 8000 \
        silence 1 0.02 0.5% norm -3 pad 0.05 0.3
    fi
    made=$((made + 1))
  else
    kept=$((kept + 1))
  fi
  printf '%s\t%s\t%.3f\n' "$id" "$sum" "$(soxi -D "$out")" >>"$manifest"
done <"$dir/catalogue.tsv"

# audio whose prompt left the catalogue goes too
for f in "$dir"/*.wav; do
  [ -e "$f" ] || continue
  id="$(basename "$f" .wav)"
  [ -n "${keep[$id]:-}" ] || { rm -f "$f"; echo "removed $id.wav (not in the catalogue)"; }
done
cp "$manifest" "$dir/audio.manifest"
echo "prompts: $made made, $kept unchanged, in $dir (voice $voice, $speed_sentence/$speed_piece wpm, 8000 Hz 16-bit mono)"
