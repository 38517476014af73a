package org.hotline.ops.report;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import org.hotline.handoff.Complaints;

/**
 * Complaints for supervisors (issue 16), {@code /ops/complaints}: each with how it was taken (the caller's voice,
 * or a person), its status and the time to handle it, and a form to mark it handled. Supervisors only
 * ({@link ReportSecurity}: not even an administrator), as the recordings are the callers' own words.
 */
@Controller
public class ComplaintPages {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ComplaintPages.class);

    private final Complaints complaints;
    private final Clock clock;
    private final org.hotline.audit.AuditLog audit;

    ComplaintPages(Complaints complaints, Clock clock, org.hotline.audit.AuditLog audit) {
        this.complaints = complaints;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * The caller's own words, streamed to a supervisor's browser ({@code <audio>} on the page; byte ranges as Spring
     * serves a {@link org.springframework.core.io.Resource}). Supervisors only ({@link ReportSecurity}); every play
     * is in the audit trail ({@code COMPLAINT_RECORDING_PLAYED}, who and which complaint), a missing one too. Never
     * cached, never offered as a download by name.
     */
    @GetMapping("/ops/complaints/{id}/recording")
    org.springframework.http.ResponseEntity<org.springframework.core.io.Resource> recording(@PathVariable long id,
            Authentication who, @org.springframework.web.bind.annotation.RequestHeader(value = "Range",
                    required = false) String range) {
        java.util.Optional<java.nio.file.Path> file = complaints.recordingFile(id);
        // one audit row per play, not per byte range a browser asks for while it plays
        if (range == null || range.startsWith("bytes=0-")) {
            audit.record(who.getName(), "SUPERVISOR", "COMPLAINT_RECORDING_PLAYED", file.isPresent() ? "OK" : "NOT_FOUND",
                    null, null, null, null, "complaint " + id);
        }
        if (file.isEmpty()) {
            return org.springframework.http.ResponseEntity.notFound().cacheControl(
                    org.springframework.http.CacheControl.noStore()).build();
        }
        log.info("Complaint {} recording played by {}", id, who.getName());
        return org.springframework.http.ResponseEntity.ok()
                .contentType(org.springframework.http.MediaType.parseMediaType("audio/wav"))
                .cacheControl(org.springframework.http.CacheControl.noStore())
                .header("Content-Disposition", "inline")
                .header("X-Content-Type-Options", "nosniff")
                .body(new org.springframework.core.io.FileSystemResource(file.get()));
    }

    @GetMapping("/ops/complaints")
    String list(@RequestParam(required = false) String status, Model model) {
        Complaints.Status s = "OPEN".equals(status) ? Complaints.Status.OPEN
                : "HANDLED".equals(status) ? Complaints.Status.HANDLED : null;
        LocalDateTime now = LocalDateTime.now(clock);
        List<Complaints.Complaint> listed = complaints.list(s, 500);
        model.addAttribute("complaints", listed);
        // which recordings this gateway can play (SIP's always; Asterisk's when its directory is shared here)
        model.addAttribute("playable", listed.stream().filter(c -> c.recording() != null)
                .filter(c -> complaints.recordingFile(c.id()).isPresent()).map(Complaints.Complaint::id)
                .collect(java.util.stream.Collectors.toSet()));
        model.addAttribute("status", s == null ? "" : s.name());
        model.addAttribute("now", now);
        model.addAttribute("fmt", Format.INSTANCE);
        return "ops/complaints";
    }

    @PostMapping("/ops/complaints/{id}/handled")
    String handled(@PathVariable long id, @RequestParam(required = false) String note, Authentication who,
            RedirectAttributes flash) {
        boolean done = complaints.markHandled(id, who.getName(), note);
        flash.addFlashAttribute("message", done ? "投诉 " + id + " 已标记为已处理" : "投诉 " + id + " 不存在或已处理");
        return "redirect:/ops/complaints";
    }

    /** "2 小时 5 分" */
    public static String duration(Duration d) {
        long m = Math.max(0, d.toMinutes());
        return m >= 60 * 24 ? (m / (60 * 24)) + " 天 " + (m / 60 % 24) + " 小时"
                : m >= 60 ? (m / 60) + " 小时 " + (m % 60) + " 分" : m + " 分";
    }
}
