package org.hotline.ops.report;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

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

    private final Complaints complaints;
    private final Clock clock;

    ComplaintPages(Complaints complaints, Clock clock) {
        this.complaints = complaints;
        this.clock = clock;
    }

    @GetMapping("/ops/complaints")
    String list(@RequestParam(required = false) String status, Model model) {
        Complaints.Status s = "OPEN".equals(status) ? Complaints.Status.OPEN
                : "HANDLED".equals(status) ? Complaints.Status.HANDLED : null;
        LocalDateTime now = LocalDateTime.now(clock);
        model.addAttribute("complaints", complaints.list(s, 500));
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
