package org.hotline;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import com.zaxxer.hikari.HikariDataSource;

/** One line at start-up saying where the service listens, for the operator who just started it. */
@Component
class ReadyLog {

    private static final Logger log = LoggerFactory.getLogger(ReadyLog.class);

    @EventListener
    void ready(ApplicationReadyEvent event) {
        String http = event.getApplicationContext() instanceof WebServerApplicationContext w && w.getWebServer() != null
                ? "http://localhost:" + w.getWebServer().getPort() + "/" : "(no web server)";
        String db = event.getApplicationContext().getBeanProvider(DataSource.class).getIfAvailable() instanceof
                HikariDataSource h ? h.getJdbcUrl() : "?";
        log.info("Hotline gateway ready: HTTP {} | database {}", http, db);
    }
}
