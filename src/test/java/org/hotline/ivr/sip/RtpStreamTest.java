package org.hotline.ivr.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Our RTP on a real UDP socket: the packets a phone would receive, and the key presses we hear. */
class RtpStreamTest {

    record Packet(boolean marker, int pt, int seq, long ts, int ssrc, byte[] payload, long arrivedNanos) {
    }

    static final class Recorder implements RtpStream.Events {
        final List<Character> keys = new CopyOnWriteArrayList<>();
        final CountDownLatch played = new CountDownLatch(1);

        @Override
        public void keyPressed(char key) {
            keys.add(key);
        }

        @Override
        public void playbackFinished() {
            played.countDown();
        }

        @Override
        public void silenceTimedOut() {
        }
    }

    @Test
    void promptGoesOutAs20msG711PacketsWithSteadySequenceTimestampAndOneMarker() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket phone = new DatagramSocket(0, lo);
                RtpMedia media = new RtpMedia(lo, 41000, 41999, Duration.ofSeconds(60), "t")) {
            phone.setSoTimeout(2000);
            Recorder rec = new Recorder();
            RtpStream stream = media.open(rec);
            stream.use(SdpOffer.parse("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio " + phone.getLocalPort()
                    + " RTP/AVP 8\r\n").negotiate().orElseThrow());
            short[] tone = TestPrompts.tone(440, 500); // 25 frames
            byte[] audio = G711.PCMA.encode(tone);
            // some silence first, then the prompt
            List<Packet> got = new ArrayList<>();
            byte[] buf = new byte[2048];
            for (int i = 0; i < 5; i++) {
                got.add(receive(phone, buf));
            }
            stream.play(audio);
            while (got.size() < 45) {
                got.add(receive(phone, buf));
            }
            assertThat(rec.played.await(2, TimeUnit.SECONDS)).isTrue();
            media.close(stream);

            assertThat(got).allSatisfy(p -> {
                assertThat(p.pt()).isEqualTo(8);
                assertThat(p.payload()).hasSize(160);
                assertThat(p.ssrc()).isEqualTo(got.get(0).ssrc());
            });
            assertThat(got.get(0).marker()).isTrue();
            assertThat(got.subList(1, got.size())).noneMatch(Packet::marker);
            for (int i = 1; i < got.size(); i++) {
                assertThat(got.get(i).seq()).isEqualTo((got.get(i - 1).seq() + 1) & 0xFFFF);
                assertThat(got.get(i).ts()).isEqualTo((got.get(i - 1).ts() + 160) & 0xFFFFFFFFL);
            }
            // the prompt's bytes, frame by frame, somewhere after the silence
            int start = -1;
            for (int i = 0; i < got.size(); i++) {
                if (Arrays.equals(got.get(i).payload(), Arrays.copyOfRange(audio, 0, 160))) {
                    start = i;
                    break;
                }
            }
            assertThat(start).isGreaterThanOrEqualTo(5);
            for (int f = 0; f < 25; f++) {
                assertThat(got.get(start + f).payload()).isEqualTo(Arrays.copyOfRange(audio, f * 160, f * 160 + 160));
            }
            byte[] silence = new byte[160];
            Arrays.fill(silence, G711.PCMA.silence());
            assertThat(got.get(start + 25).payload()).isEqualTo(silence);
            // paced at 20 ms: 40 packets take about 800 ms (a loaded machine may delay, then catch up, a few)
            long span = got.get(44).arrivedNanos() - got.get(4).arrivedNanos();
            assertThat(TimeUnit.NANOSECONDS.toMillis(span)).isBetween(400L, 3000L);
        }
    }

    @Test
    void eachRfc4733PressCountsOnceDespiteRepeatsAndEndPackets() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket phone = new DatagramSocket(0, lo);
                RtpMedia media = new RtpMedia(lo, 42000, 42999, Duration.ofSeconds(60), "t")) {
            Recorder rec = new Recorder();
            RtpStream stream = media.open(rec);
            stream.use(SdpOffer.parse("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio " + phone.getLocalPort()
                    + " RTP/AVP 0 96\r\na=rtpmap:96 telephone-event/8000\r\n").negotiate().orElseThrow());
            int seq = 100;
            // '5' pressed: start (marker), 3 updates, 3 end packets; then '5' again as a new press; then '#'
            for (long[] ev : new long[][] {{5, 24000}, {5, 24800}, {11, 25600}}) {
                for (int i = 0; i < 7; i++) {
                    boolean end = i >= 4;
                    send(phone, stream.localPort(), 96, i == 0, seq++, ev[1], 0x1234, (int) ev[0], end, 160 * (i + 1));
                }
            }
            // a late duplicate end packet of the first press, and an audio packet (PT 0) that is no key
            send(phone, stream.localPort(), 96, false, seq++, 24000, 0x1234, 5, true, 1120);
            send(phone, stream.localPort(), 0, false, seq++, 26000, 0x1234, 0, false, 0);
            // the same timestamp from a new stream (SSRC) is a new press
            send(phone, stream.localPort(), 96, true, 1, 24000, 0x9999, 1, false, 160);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (rec.keys.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            assertThat(rec.keys).containsExactly('5', '5', '#', '1');
        }
    }

    static void send(DatagramSocket s, int port, int pt, boolean marker, int seq, long ts, int ssrc, int event,
            boolean end, int duration) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put((byte) 0x80).put((byte) ((marker ? 0x80 : 0) | pt)).putShort((short) seq).putInt((int) ts).putInt(ssrc);
        b.put((byte) event).put((byte) (end ? 0x8A : 0x0A)).putShort((short) duration);
        s.send(new DatagramPacket(b.array(), 16, InetAddress.getLoopbackAddress(), port));
    }

    static Packet receive(DatagramSocket s, byte[] buf) throws Exception {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        ByteBuffer b = ByteBuffer.wrap(p.getData(), 0, p.getLength());
        int b0 = b.get() & 0xFF;
        assertThat(b0 >> 6).isEqualTo(2);
        int b1 = b.get() & 0xFF;
        int seq = b.getShort() & 0xFFFF;
        long ts = b.getInt() & 0xFFFFFFFFL;
        int ssrc = b.getInt();
        byte[] payload = Arrays.copyOfRange(p.getData(), 12, p.getLength());
        return new Packet((b1 & 0x80) != 0, b1 & 0x7F, seq, ts, ssrc, payload, System.nanoTime());
    }
}
