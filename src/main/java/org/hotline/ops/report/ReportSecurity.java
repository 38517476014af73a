package org.hotline.ops.report;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.context.SecurityContextHolderFilter;

import org.hotline.agent.web.ConsoleLoginGuard;

/**
 * The reports are for supervisors (班长) and administrators. They log in through the agent console's form
 * (the session is shared); a script fetching a CSV may send the same user's name and password as HTTP
 * Basic. Everything else keeps the console's own rules: this chain matches {@code /ops/**} only, and is
 * asked first.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class ReportSecurity {

    static final String[] READERS = {"SUPERVISOR", "ADMIN"};

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 10)
    SecurityFilterChain reportFilterChain(HttpSecurity http, ConsoleLoginGuard guard,
            org.hotline.audit.AuditLog audit) throws Exception {
        http.securityMatcher("/ops/**")
                .authorizeHttpRequests(a -> a.requestMatchers("/ops/assets/**").permitAll()
                        // complaints are callers' own words: supervisors only (issue 16)
                        .requestMatchers("/ops/complaints", "/ops/complaints/**").hasRole("SUPERVISOR")
                        .anyRequest().hasAnyRole(READERS))
                // failed Basic logins count with the form's (per user name and address); throttled: 429 + Retry-After
                .httpBasic(b -> b.authenticationEntryPoint(guard.basicEntryPoint()))
                .addFilterAfter(guard.sessionCheck(), SecurityContextHolderFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(new LoginUrlAuthenticationEntryPoint("/login"))
                        .accessDeniedHandler(recordingRefusalsAudited(audit)))
                .csrf(Customizer.withDefaults())
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")));
        return http.build();
    }

    /**
     * A signed-in user who is not a supervisor asking for a complaint's recording (the caller's own voice) gets 403,
     * and the try is in the audit trail ({@code COMPLAINT_RECORDING_PLAYED}, outcome {@code DENIED}).
     */
    static org.springframework.security.web.access.AccessDeniedHandler recordingRefusalsAudited(
            org.hotline.audit.AuditLog audit) {
        var plain = new org.springframework.security.web.access.AccessDeniedHandlerImpl();
        java.util.regex.Pattern recording = java.util.regex.Pattern.compile("/ops/complaints/(\\d+)/recording");
        return (request, response, denied) -> {
            var m = recording.matcher(request.getRequestURI().substring(request.getContextPath().length()));
            var who = org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
            if (m.matches() && who != null && who.isAuthenticated()) {
                String role = who.getAuthorities().stream().map(a -> a.getAuthority().replaceFirst("^ROLE_", ""))
                        .findFirst().orElse("?");
                audit.record(who.getName(), role.length() > 24 ? role.substring(0, 24) : role,
                        "COMPLAINT_RECORDING_PLAYED", "DENIED", null, null, null, null, "complaint " + m.group(1));
            }
            plain.handle(request, response, denied);
        };
    }
}
