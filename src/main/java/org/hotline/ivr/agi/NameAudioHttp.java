package org.hotline.ivr.agi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.core.env.Environment;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import org.hotline.booking.SpokenNames;
import org.hotline.ivr.PeerAddresses;

/**
 * Serves the names recorded in the console to Asterisk over HTTP: {@code GET /media/names/<sha1>.wav}, the URL
 * {@link AgiCall#sound} hands Asterisk in STREAM FILE / GET DATA. Asterisk's res_http_media_cache.c fetches it with
 * curl, takes the format from {@code Content-Type} ({@code audio/x-wav} → {@code .wav}, via
 * ast_get_extension_for_mime_type; else from the URL's extension) and keeps the file until {@code Cache-Control:
 * max-age} runs out (bucket_file_set_expiration); the URL is the audio's SHA-1, so a cached copy is never stale and
 * may be kept for a year ({@code immutable}).
 *
 * <p>Who may fetch: the Asterisk servers only, {@code hotline.agi.allowed-peers} (the same list that may open a
 * FastAGI connection); anyone else gets 403 with nothing of the audio. The URL carries no login (Asterisk's media
 * cache sends none) and names no entry; the audio is a department's or vaccine's name, not personal data. Every
 * node serves every name (the audio is in the database), so Asterisk may fetch from whichever node ran the call.
 */
@RestController
@ConditionalOnWebApplication
class NameAudioHttp {

    private final SpokenNames names;
    private final PeerAddresses peers;

    NameAudioHttp(SpokenNames names, AgiProperties props) {
        this.names = names;
        this.peers = PeerAddresses.parse(props.allowedPeers(), "hotline.agi.allowed-peers");
    }

    @GetMapping("/media/names/{file:[0-9a-f]{40}\\.wav}")
    ResponseEntity<byte[]> name(@PathVariable String file, HttpServletRequest request) {
        InetAddress peer;
        try {
            peer = InetAddress.getByName(request.getRemoteAddr());
        } catch (UnknownHostException e) {
            return ResponseEntity.status(HttpStatus.FORBIDDEN).build();
        }
        if (!peers.contains(peer)) {
            return ResponseEntity.status(HttpStatus.FORBIDDEN).build();
        }
        String sha1 = file.substring(0, 40);
        Optional<byte[]> wav = names.audio(sha1);
        return wav.map(b -> ResponseEntity.ok().contentType(MediaType.parseMediaType("audio/x-wav"))
                .cacheControl(CacheControl.maxAge(java.time.Duration.ofDays(365)).cachePublic().immutable())
                .eTag("\"" + sha1 + "\"").body(b)).orElseGet(() -> ResponseEntity.notFound().build());
    }

    /**
     * The base URL Asterisk fetches names from: {@code hotline.agi.media-url} when set (a name or address Asterisk
     * reaches this node on, e.g. {@code http://10.0.0.5:8080}); else this node's FastAGI bind address and HTTP port
     * (Asterisk reaches the node there already). Null before the HTTP server has a port.
     */
    static String baseUrl(Environment env, AgiProperties props) {
        String set = env.getProperty("hotline.agi.media-url");
        if (set != null && !set.isBlank()) {
            return set.strip().replaceAll("/+$", "");
        }
        String port = env.getProperty("local.server.port", env.getProperty("server.port", "8080"));
        if ("0".equals(port)) {
            return null;
        }
        String host = props.bindAddress();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port;
    }
}
