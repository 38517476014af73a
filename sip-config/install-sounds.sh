#!/bin/sh
# install-sounds.sh - installs the gateway's Mandarin sounds on the Asterisk server (run from the repository root,
# as the user Asterisk runs as, or root): every prompt the gateway and queues.conf play, and the digits Asterisk's
# say.c (ast_say_number_full_zh) composes numbers from for the queue's hold-time and position announcements
# (digits/0-9, digits/10, 20 … 90, digits/hundred, digits/thousand) in language zh. See docs/asterisk.md.
set -eu
sounds="${ASTERISK_SOUNDS:-/var/lib/asterisk/sounds}"
install -d "$sounds/hotline/zh-CN" "$sounds/zh/digits"
install -m 644 prompts/zh-CN/*.wav "$sounds/hotline/zh-CN/"
for n in 0 1 2 3 4 5 6 7 8 9 10 20 30 40 50 60 70 80 90; do
  install -m 644 "prompts/zh-CN/num_$n.wav" "$sounds/zh/digits/$n.wav"
done
install -m 644 prompts/zh-CN/num_100.wav "$sounds/zh/digits/hundred.wav"
install -m 644 prompts/zh-CN/num_1000.wav "$sounds/zh/digits/thousand.wav"
echo "installed under $sounds: hotline/zh-CN/ ($(ls prompts/zh-CN/*.wav | wc -l) prompts) and zh/digits/"
