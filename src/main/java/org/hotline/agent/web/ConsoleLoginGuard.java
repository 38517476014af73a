package org.hotline.agent.web;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.InternalAuthenticationServiceException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.authentication.www.BasicAuthenticationEntryPoint;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import org.hotline.agent.ConsoleUsers;
import org.hotline.agent.LoginThrottle;

/**
 * How console users prove who they are, shared by every filter chain (console form, {@code /ops} and
 * {@code /actuator} HTTP Basic): one login check that counts failures per user name and per address
 * ({@link LoginThrottle}) and refuses, unchecked, while either waits; the answers to a refused login (the
 * form's error page, or 429 with Retry-After); and the check, on every request, that a session's user is
 * still enabled and still has the password it logged in with. While the database cannot be asked, a login
 * this node checked against it within the hour (same name, same password) still stands, and a session may
 * still read health: operators watch an outage through them.
 */
@Component
public class ConsoleLoginGuard {

    private static final Logger log = LoggerFactory.getLogger(ConsoleLoginGuard.class);

    /** How long a login checked against the database is remembered for when the database cannot be asked. */
    static final Duration REMEMBERED = Duration.ofHours(1);

    private record Remembered(ConsoleUserDetails user, Instant at) {
    }

    private final ConsoleUsers users;
    private final LoginThrottle throttle;
    private final DaoAuthenticationProvider dao;
    private final PasswordEncoder encoder;
    private final Clock clock;
    /** The last login each user made on this node, checked against the database: for the database's outages. */
    private final Map<String, Remembered> lastGood = new ConcurrentHashMap<>();

    public ConsoleLoginGuard(ConsoleUsers users, LoginThrottle throttle, PasswordEncoder encoder, Clock clock) {
        this.users = users;
        this.throttle = throttle;
        this.encoder = encoder;
        this.clock = clock;
        this.dao = new DaoAuthenticationProvider(username -> users.credentials(username)
                .map(c -> new ConsoleUserDetails(c.user(), c.passwordHash(), c.version()))
                .orElseThrow(() -> new UsernameNotFoundException("no such console user")));
        this.dao.setPasswordEncoder(encoder);
    }

    /** Refused because this name or address waits after too many failed logins. */
    public static class LoginThrottledException extends AuthenticationException {
        private final Duration wait;

        LoginThrottledException(Duration wait) {
            super("too many failed logins");
            this.wait = wait;
        }

        public long retryAfterSeconds() {
            return Math.max(1, (wait.toMillis() + 999) / 1000);
        }
    }

    /** The one login check (the application's only {@link AuthenticationProvider}). */
    AuthenticationProvider provider() {
        return new AuthenticationProvider() {
            @Override
            public Authentication authenticate(Authentication a) {
                String name = a.getName();
                String address = a.getDetails() instanceof WebAuthenticationDetails d ? d.getRemoteAddress() : null;
                Optional<Duration> wait = throttle.blocked(name, address);
                if (wait.isPresent()) {
                    throw new LoginThrottledException(wait.get());
                }
                try {
                    Authentication ok = dao.authenticate(a);
                    throttle.succeeded(name);
                    if (ok.getPrincipal() instanceof ConsoleUserDetails me) {
                        lastGood.put(name, new Remembered(me, clock.instant()));
                    }
                    return ok;
                } catch (InternalAuthenticationServiceException e) {
                    // the database, not the caller: not a failed guess. Health must stay readable to the
                    // operator who read it an hour ago (HTTP Basic every scrape), so this node's last good login
                    // of the name, with the same password, stands in for it
                    return remembered(a, address).orElseThrow(() -> e);
                } catch (AuthenticationException e) {
                    lastGood.remove(name);
                    throttle.failed(name, address);
                    throw e;
                }
            }

            private Optional<Authentication> remembered(Authentication a, String address) {
                Remembered r = lastGood.get(a.getName());
                if (r == null || clock.instant().isAfter(r.at().plus(REMEMBERED)) || a.getCredentials() == null) {
                    return Optional.empty();
                }
                if (!encoder.matches(a.getCredentials().toString(), r.user().passwordHash())) {
                    throttle.failed(a.getName(), address);
                    throw new org.springframework.security.authentication.BadCredentialsException("bad credentials");
                }
                log.info("Login of {} checked against this node's last good login: the database cannot be asked",
                        a.getName());
                return Optional.of(UsernamePasswordAuthenticationToken.authenticated(r.user(), null,
                        r.user().getAuthorities()));
            }

            @Override
            public boolean supports(Class<?> type) {
                return UsernamePasswordAuthenticationToken.class.isAssignableFrom(type);
            }
        };
    }

    /** The login form's answer to a failure: the form again, saying how long to wait when throttled. */
    public AuthenticationFailureHandler formFailure() {
        return (request, response, e) -> {
            String to = request.getContextPath() + "/login?error";
            if (e instanceof LoginThrottledException t) {
                response.setHeader("Retry-After", Long.toString(t.retryAfterSeconds()));
                to += "&wait=" + t.retryAfterSeconds();
            }
            response.sendRedirect(to);
        };
    }

    /** HTTP Basic's answer to a failure: 401 with a challenge, or 429 with Retry-After when throttled. */
    public AuthenticationEntryPoint basicEntryPoint() {
        BasicAuthenticationEntryPoint basic = new BasicAuthenticationEntryPoint();
        basic.setRealmName("hotline");
        return (request, response, e) -> {
            if (e instanceof LoginThrottledException t) {
                tooMany(response, t.retryAfterSeconds(), "登录失败次数过多，请稍后再试");
            } else {
                basic.commence(request, response, e);
            }
        };
    }

    static void tooMany(HttpServletResponse response, long retryAfterSeconds, String text) throws IOException {
        response.setStatus(429);
        response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        response.setContentType("application/json;charset=UTF-8");
        response.getWriter().write("{\"text\":\"" + text + "\",\"retryAfterSeconds\":" + retryAfterSeconds + "}");
    }

    /**
     * Ends a session whose user was disabled or given a new password since it logged in (on any node: the
     * version is in the database). While the database cannot be asked, the request goes on without the
     * session's login (the session itself is kept).
     */
    public OncePerRequestFilter sessionCheck() {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                Authentication a = SecurityContextHolder.getContext().getAuthentication();
                if (a != null && a.getPrincipal() instanceof ConsoleUserDetails me) {
                    boolean valid;
                    boolean known = true;
                    try {
                        valid = users.sessionValid(me.getUsername(), me.version());
                    } catch (DataAccessException e) {
                        // reading health stays possible through a database outage; everything else needs the
                        // database anyway, and goes on as not logged in
                        valid = "GET".equals(request.getMethod()) && request.getRequestURI().startsWith(
                                request.getContextPath() + "/actuator/");
                        known = false;
                        log.debug("Session of {} not checked: {}", me.getUsername(), e.toString());
                    }
                    if (!valid) {
                        SecurityContextHolder.clearContext();
                        HttpSession session = request.getSession(false);
                        if (known) {
                            lastGood.remove(me.getUsername());
                        }
                        if (known && session != null) {
                            log.info("Console session of {} ended: user disabled or password changed since login",
                                    me.getUsername());
                            session.invalidate();
                        }
                    }
                }
                chain.doFilter(request, response);
            }
        };
    }
}
