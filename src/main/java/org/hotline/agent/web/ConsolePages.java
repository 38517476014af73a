package org.hotline.agent.web;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

import org.hotline.agent.AgentProperties;

/** The two pages: the login form and the console (which then talks to /api). */
@Controller
class ConsolePages {

    private final AgentProperties props;

    ConsolePages(AgentProperties props) {
        this.props = props;
    }

    @GetMapping("/")
    String home() {
        return "redirect:/console";
    }

    @GetMapping("/login")
    String login() {
        return "console/login";
    }

    /** 停诊: cancel a session or day, and phone the elders it affected (docs/operations.md). */
    @GetMapping("/console/closures")
    String closures(@AuthenticationPrincipal ConsoleUserDetails me, Model model) {
        model.addAttribute("user", me.user());
        model.addAttribute("mayCancel", me.user().role() == org.hotline.agent.ConsoleRole.ADMIN
                || me.user().role() == org.hotline.agent.ConsoleRole.HOSPITAL_ADMIN);
        return "console/closures";
    }

    @GetMapping("/console")
    String console(@AuthenticationPrincipal ConsoleUserDetails me, Model model) {
        model.addAttribute("user", me.user());
        model.addAttribute("pollMs", props.pollInterval().toMillis());
        return "console/index";
    }
}
