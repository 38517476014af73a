#!/usr/bin/env bash
# make-prompts.sh - the voice menu's audio from its text: prompts/zh-CN/catalogue.tsv → prompts/zh-CN/<id>.wav
# (8 kHz, 16-bit signed, mono: what Asterisk plays; the SIP adapter reads the same files).
#
# Usage: prompts/make-prompts.sh [-f]     (-f: remake every prompt, not only the changed ones)
#
# espeak-ng with the cmn-latn-pinyin voice (the cmn/zh voices read Chinese through English rules, see
# ../shared/peers/prompts), then sox: band-limited resample, -3 dBFS, silence trimmed.
# Sentences keep 0.3 s of silence at the end (espeak's own trailing pause is trimmed first: it doubled it); the short pieces that are joined into spoken values
# (numbers, dates, times, names) keep only 0.05 s so that 十一月二十五日 sounds like one phrase.
# Writes audio.manifest (id, hash of what made it) so a test can tell stale audio from fresh.
# Needs: apt-get install espeak-ng sox. The audio is committed: the service itself needs no TTS.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/zh-CN"
voice="cmn-latn-pinyin"
# Speech rate (issue 16). Measured with soxi: 115 wpm gave 2.1 syllables/s (main_menu: 39 syllables in 19.0 s,
# ask_own_id 36 in 16.8 s), about half of ordinary Mandarin (4-5 syllables/s read aloud), and long sentences at
# that rate are harder for an elder to hold in memory than a short one said at a moderate pace. 190 wpm
# measures about 3.8 syllables/s with the pauses (170: main_menu 3.25, ask_own_id 3.36; 190: 3.72, 3.86;
# 210: 4.18, 4.30): still below ordinary read speech (4-5/s), the deliberate "clear speech" pace, while faster
# (time-compressed) speech is where older listeners lose words first (Gordon-Salant & Fitzgibbons, J Speech
# Lang Hear Res, on age and speech rate). Pieces joined into values (digits of a code, dates, names) stay a
# little slower than the short sentences they sit in would be at their pace alone (190, trimmed of silence).
speed_sentence=190   # words per minute; espeak's default is 175
speed_piece=190
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
    num_*|digit_*|letter_*|date_*|weekday_*|time_*|fac_*|svc_*|vac_*|name_*|ordinal_*|press_key|hours_to|readback_*|alt_intro|change_readback|wl_readback|wl_joined|list_count|booking_code_is|sms_this_phone|tail_word|for_tail|for_person_end|returning_again|earliest_date|next_dose) return 0 ;;
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
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3 pad 0.05 0.3
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
