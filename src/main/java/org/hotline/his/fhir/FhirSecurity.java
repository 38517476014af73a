package org.hotline.his.fhir;

import java.io.IOException;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.web.filter.OncePerRequestFilter;

import org.hotline.his.HisClients;
import org.hotline.his.HisRateLimiter;

/**
 * The FHIR door ({@code /fhir/**}): bearer tokens of hospital systems only, no session, no CSRF (there is no
 * cookie to ride on), no form login. A missing, unknown or revoked token is 401 with an OperationOutcome; a client
 * over its rate is 429 with {@code Retry-After}. The console's own chain (session, CSRF) never sees these paths,
 * and a console session is no key here (docs/security.md, "Hospital systems").
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class FhirSecurity {

    static final String ROLE = "HIS_CLIENT";

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 10)
    SecurityFilterChain fhirFilterChain(HttpSecurity http, HisClients clients, HisRateLimiter limiter)
            throws Exception {
        http.securityMatcher("/fhir/**")
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(r -> r.disable())
                .anonymous(a -> a.disable())
                .addFilterAfter(new BearerTokenFilter(clients, limiter), SecurityContextHolderFilter.class)
                .authorizeHttpRequests(a -> a.anyRequest().hasRole(ROLE))
                .exceptionHandling(e -> e.authenticationEntryPoint((req, res, ex) -> refuse(res, 401,
                        OperationOutcome.IssueType.LOGIN, "a valid bearer token is required"))
                        .accessDeniedHandler((req, res, ex) -> refuse(res, 403, OperationOutcome.IssueType.FORBIDDEN,
                                "not allowed")));
        return http.build();
    }

    static void refuse(HttpServletResponse res, int status, OperationOutcome.IssueType type, String text)
            throws IOException {
        res.setStatus(status);
        if (status == 401) {
            res.setHeader("WWW-Authenticate", "Bearer realm=\"hotline-fhir\"");
        }
        res.setContentType(Fhir.FHIR_JSON.toString());
        res.getOutputStream().write(Fhir.bytes(Fhir.outcome(OperationOutcome.IssueSeverity.ERROR, type, text)));
    }

    /** Not a bean: a Filter bean would be put in front of every path by Spring Boot. */
    static final class BearerTokenFilter extends OncePerRequestFilter {

        private final HisClients clients;
        private final HisRateLimiter limiter;

        BearerTokenFilter(HisClients clients, HisRateLimiter limiter) {
            this.clients = clients;
            this.limiter = limiter;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
                throws ServletException, IOException {
            String header = req.getHeader("Authorization");
            Optional<HisClients.Authenticated> who = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? clients.authenticate(header.substring(7).trim()) : Optional.empty();
            if (who.isEmpty()) {
                refuse(res, 401, OperationOutcome.IssueType.LOGIN, "a valid bearer token is required");
                return;
            }
            var wait = limiter.take(who.get().client());
            if (wait.isPresent()) {
                long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
                res.setHeader("Retry-After", Long.toString(seconds));
                refuse(res, 429, OperationOutcome.IssueType.THROTTLED, "too many requests: retry in " + seconds + " s");
                return;
            }
            SecurityContext ctx = SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
            ctx.setAuthentication(new HisAuthentication(who.get().client(), who.get().tokenId()));
            SecurityContextHolder.getContextHolderStrategy().setContext(ctx);
            try {
                chain.doFilter(req, res);
            } finally {
                SecurityContextHolder.getContextHolderStrategy().clearContext();
            }
        }
    }
}
