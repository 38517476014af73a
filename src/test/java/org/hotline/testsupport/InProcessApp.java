package org.hotline.testsupport;

import org.hotline.HotlineApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.logging.LoggingApplicationListener;

/**
 * The whole application started inside the test JVM, beside the cached test contexts. It leaves the JVM's
 * logging as it is: Spring Boot would otherwise set Logback up again with this run's levels, and every later
 * test that reads log lines (CallLogTest, LogPrivacyTest) would read none.
 */
public final class InProcessApp {

    private InProcessApp() {
    }

    public static SpringApplication withoutWeb() {
        SpringApplication app = new SpringApplication(HotlineApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setListeners(app.getListeners().stream().filter(l -> !(l instanceof LoggingApplicationListener)).toList());
        return app;
    }
}
