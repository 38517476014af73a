package org.hotline.ivr.sip;

/**
 * G.711 encoding of 16-bit linear PCM (ITU-T G.711, segment search as in the reference g711.c).
 * Decoding is here too, for tests and for checking the encoder's error bound.
 */
public enum G711 {
    /** µ-law, RTP payload type 0. */
    PCMU(0, (byte) 0xFF),
    /** A-law, RTP payload type 8. */
    PCMA(8, (byte) 0xD5);

    private static final int[] SEG_UEND = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
    private static final int[] SEG_AEND = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};

    private final int payloadType;
    private final byte silence;

    G711(int payloadType, byte silence) {
        this.payloadType = payloadType;
        this.silence = silence;
    }

    public int payloadType() {
        return payloadType;
    }

    /** The code of a zero sample: what a frame of silence is filled with. */
    public byte silence() {
        return silence;
    }

    public static G711 forPayloadType(int pt) {
        return pt == 0 ? PCMU : pt == 8 ? PCMA : null;
    }

    public byte encode(short sample) {
        return this == PCMU ? ulaw(sample) : alaw(sample);
    }

    public byte[] encode(short[] samples) {
        byte[] out = new byte[samples.length];
        for (int i = 0; i < samples.length; i++) {
            out[i] = encode(samples[i]);
        }
        return out;
    }

    public short decode(byte code) {
        return this == PCMU ? ulawToLinear(code) : alawToLinear(code);
    }

    private static int segment(int value, int[] ends) {
        for (int i = 0; i < ends.length; i++) {
            if (value <= ends[i]) {
                return i;
            }
        }
        return ends.length;
    }

    static byte ulaw(short sample) {
        int pcm = sample >> 2; // 14-bit
        int mask;
        if (pcm < 0) {
            pcm = -pcm;
            mask = 0x7F;
        } else {
            mask = 0xFF;
        }
        if (pcm > 8159) {
            pcm = 8159;
        }
        pcm += 0x84 >> 2;
        int seg = segment(pcm, SEG_UEND);
        if (seg >= 8) {
            return (byte) (0x7F ^ mask);
        }
        int uval = (seg << 4) | ((pcm >> (seg + 1)) & 0x0F);
        return (byte) (uval ^ mask);
    }

    static byte alaw(short sample) {
        int pcm = sample >> 3; // 13-bit
        int mask;
        if (pcm >= 0) {
            mask = 0xD5;
        } else {
            mask = 0x55;
            pcm = -pcm - 1;
        }
        int seg = segment(pcm, SEG_AEND);
        if (seg >= 8) {
            return (byte) (0x7F ^ mask);
        }
        int aval = seg << 4;
        aval |= seg < 2 ? (pcm >> 1) & 0x0F : (pcm >> seg) & 0x0F;
        return (byte) (aval ^ mask);
    }

    static short ulawToLinear(byte code) {
        int u = ~code & 0xFF;
        int t = ((u & 0x0F) << 3) + 0x84;
        t <<= (u & 0x70) >> 4;
        return (short) ((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
    }

    static short alawToLinear(byte code) {
        int a = (code & 0xFF) ^ 0x55;
        int t = (a & 0x0F) << 4;
        int seg = (a & 0x70) >> 4;
        switch (seg) {
            case 0 -> t += 8;
            case 1 -> t += 0x108;
            default -> {
                t += 0x108;
                t <<= seg - 1;
            }
        }
        return (short) ((a & 0x80) != 0 ? t : -t);
    }
}
