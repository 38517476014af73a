package org.hotline.his.fhir;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature on every push (docs/his.md, "Signed pushes"): header {@code X-Hotline-Signature: t=<unix seconds>,
 * v1=<hex>} where {@code v1 = HMAC-SHA256(push key, "<t>." + body bytes)}. The receiver recomputes it with the key
 * the admin was shown, compares in constant time, refuses a {@code t} more than {@link #TOLERANCE_SECONDS} from its
 * own clock, and remembers the signatures it took within that window: a captured push replayed later is refused
 * for its age, one replayed at once for its repeat. Each attempt is signed anew (a retry has its own {@code t}).
 */
public final class PushSignature {

    /** How far a push's time may be from the receiver's clock (either way). */
    public static final long TOLERANCE_SECONDS = 300;

    private PushSignature() {
    }

    /** The header value for this body, signed at {@code epochSecond}. */
    public static String header(String key, long epochSecond, byte[] body) {
        return "t=" + epochSecond + ",v1=" + hmac(key, epochSecond, body);
    }

    public static String hmac(String key, long epochSecond, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((epochSecond + ".").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What a receiver does (the tests' subscriber uses it; docs/his.md shows the same in a few lines): the header's
     * time when its signature is right for this body and key and the time is within the tolerance of {@code
     * nowEpochSecond}; empty otherwise.
     */
    public static Optional<Long> verify(String key, String header, byte[] body, long nowEpochSecond) {
        if (header == null) {
            return Optional.empty();
        }
        Long t = null;
        String v1 = null;
        for (String part : header.split(",")) {
            String p = part.trim();
            if (p.startsWith("t=") && p.substring(2).matches("\\d{1,12}")) {
                t = Long.parseLong(p.substring(2));
            } else if (p.startsWith("v1=")) {
                v1 = p.substring(3);
            }
        }
        if (t == null || v1 == null || Math.abs(nowEpochSecond - t) > TOLERANCE_SECONDS) {
            return Optional.empty();
        }
        boolean same = MessageDigest.isEqual(hmac(key, t, body).getBytes(StandardCharsets.US_ASCII),
                v1.getBytes(StandardCharsets.US_ASCII));
        return same ? Optional.of(t) : Optional.empty();
    }
}
