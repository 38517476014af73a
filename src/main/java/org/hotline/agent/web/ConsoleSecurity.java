package org.hotline.agent.web;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;

import org.hotline.agent.ConsoleUsers;

/**
 * Who may reach what. Pages redirect to the login form; {@code /api} answers 401 instead. CSRF is on
 * for every state-changing request (the page sends the token in a header). Actuator health and
 * Prometheus are open: operators' scrapers do not log in.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class ConsoleSecurity {

    static final String AGENT = "AGENT";
    static final String DOCTOR = "COMMUNITY_DOCTOR";
    static final String DESK = "FRONT_DESK";
    static final String SUPERVISOR = "SUPERVISOR";
    static final String ADMIN = "ADMIN";

    @Bean
    UserDetailsService consoleUserDetails(ConsoleUsers users) {
        return username -> users.credentials(username)
                .map(c -> new ConsoleUserDetails(c.user(), c.passwordHash()))
                .orElseThrow(() -> new UsernameNotFoundException("no such console user"));
    }

    @Bean
    SecurityFilterChain consoleFilterChain(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(a -> a
                .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/prometheus", "/actuator/info")
                .permitAll()
                .requestMatchers("/login", "/console/assets/**", "/favicon.ico", "/error").permitAll()
                // the API's description is public (docs/agent.md); springdoc serves the browser under the
                // swagger-ui path's parent: /api/docs redirects to /api/swagger-ui/index.html
                .requestMatchers("/api/openapi", "/api/openapi/**", "/api/openapi.yaml", "/api/docs",
                        "/api/docs/**", "/api/swagger-ui/**").permitAll()
                .requestMatchers("/api/me").authenticated()
                .requestMatchers("/api/catalogue/**").hasAnyRole(AGENT, DOCTOR, SUPERVISOR, ADMIN)
                .requestMatchers(HttpMethod.GET, "/api/transfers/**", "/api/callbacks/**", "/api/sms/notices")
                .hasAnyRole(AGENT, SUPERVISOR)
                .requestMatchers("/api/transfers/**", "/api/callbacks/**").hasRole(AGENT)
                .requestMatchers("/api/bookings/**").hasAnyRole(AGENT, DOCTOR)
                .requestMatchers("/api/check-ins/**", "/api/check-ins").hasRole(DESK)
                .requestMatchers("/api/audit/**").hasAnyRole(SUPERVISOR, ADMIN)
                .requestMatchers("/api/users/**").hasRole(ADMIN)
                .requestMatchers("/api/**").denyAll()
                .anyRequest().authenticated())
                .formLogin(f -> f.loginPage("/login").defaultSuccessUrl("/console").permitAll())
                .logout(l -> l.logoutSuccessUrl("/login?logout"))
                .exceptionHandling(e -> e.defaultAuthenticationEntryPointFor(
                        new HttpStatusEntryPoint(HttpStatus.UNAUTHORIZED),
                        PathPatternRequestMatcher.withDefaults().matcher("/api/**")))
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")));
        return http.build();
    }
}
