package org.hotline.agent.web;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;

/**
 * Who may reach what. Pages redirect to the login form; {@code /api} answers 401 instead. CSRF is on
 * for every state-changing request (the page sends the token in a header). Failed logins are throttled and a
 * session ends when its user is disabled or given a new password ({@link ConsoleLoginGuard}). Actuator health's
 * status and Prometheus are open: operators' scrapers do not log in (docs/security.md, "Console and API").
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class ConsoleSecurity {

    static final String AGENT = "AGENT";
    static final String DOCTOR = "COMMUNITY_DOCTOR";
    static final String DESK = "FRONT_DESK";
    static final String SUPERVISOR = "SUPERVISOR";
    static final String ADMIN = "ADMIN";
    static final String HOSPITAL_ADMIN = "HOSPITAL_ADMIN";

    /** The application's one login check: throttled per user name and address (form and HTTP Basic alike). */
    @Bean
    AuthenticationProvider consoleLogin(ConsoleLoginGuard guard) {
        return guard.provider();
    }

    /**
     * Actuator: health's status, Prometheus and info stay open (load balancers, Asterisk hosts and scrapers do
     * not log in); health's components and details are shown only to a signed-in supervisor or admin
     * ({@code management.endpoint.health.roles}), by the console's session or HTTP Basic.
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 20)
    SecurityFilterChain actuatorFilterChain(HttpSecurity http, ConsoleLoginGuard guard) throws Exception {
        http.securityMatcher("/actuator/**")
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/prometheus",
                                "/actuator/info").permitAll()
                        .anyRequest().denyAll())
                .httpBasic(b -> b.authenticationEntryPoint(guard.basicEntryPoint()))
                .addFilterAfter(guard.sessionCheck(), SecurityContextHolderFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(guard.basicEntryPoint()));
        return http.build();
    }

    @Bean
    SecurityFilterChain consoleFilterChain(HttpSecurity http, ConsoleLoginGuard guard) throws Exception {
        http.authorizeHttpRequests(a -> a
                .requestMatchers("/login", "/console/assets/**", "/favicon.ico", "/error").permitAll()
                // names recorded in the console, for Asterisk's media cache: no login, but only the Asterisk
                // servers (hotline.agi.allowed-peers) get them (ivr.agi.NameAudioHttp)
                .requestMatchers(HttpMethod.GET, "/media/names/**").permitAll()
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
                // catalogue, rosters, closures, policies: admins everywhere, a hospital administrator for their own
                // facility only (org.hotline.admin.web checks which facility)
                .requestMatchers("/api/admin/**").hasAnyRole(ADMIN, HOSPITAL_ADMIN)
                .requestMatchers("/api/**").denyAll()
                .anyRequest().authenticated())
                .formLogin(f -> f.loginPage("/login").defaultSuccessUrl("/console")
                        .failureHandler(guard.formFailure()).permitAll())
                .addFilterAfter(guard.sessionCheck(), SecurityContextHolderFilter.class)
                .logout(l -> l.logoutSuccessUrl("/login?logout"))
                .exceptionHandling(e -> e.defaultAuthenticationEntryPointFor(
                        new HttpStatusEntryPoint(HttpStatus.UNAUTHORIZED),
                        PathPatternRequestMatcher.withDefaults().matcher("/api/**")))
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")));
        return http.build();
    }
}
