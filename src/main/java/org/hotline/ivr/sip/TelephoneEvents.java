package org.hotline.ivr.sip;

/**
 * RFC 4733 keypad events as they arrive: one key press is many packets (its start, updates, and
 * three end packets) sharing one RTP timestamp, so a press is counted once per (SSRC, timestamp).
 * A few recent presses are remembered in case packets of an older press arrive late.
 */
final class TelephoneEvents {

    private static final String KEYS = "0123456789*#ABCD";

    private final long[] recent = new long[16];
    private int next;
    private int size;

    /**
     * The key this event packet starts, or {@code 0} when it repeats a press already counted or is not a key.
     *
     * @param payload RTP payload of a telephone-event packet (event, E/R/volume, duration)
     */
    char onPacket(int ssrc, long timestamp, byte[] payload, int offset, int length) {
        if (length < 4) {
            return 0;
        }
        int event = payload[offset] & 0xFF;
        if (event >= KEYS.length()) {
            return 0; // tones, flash: not keys
        }
        long press = ((long) ssrc << 32) | (timestamp & 0xFFFFFFFFL);
        for (int i = 0; i < size; i++) {
            if (recent[i] == press) {
                return 0;
            }
        }
        recent[next] = press;
        next = (next + 1) % recent.length;
        size = Math.min(size + 1, recent.length);
        return KEYS.charAt(event);
    }
}
