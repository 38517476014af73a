package org.hotline.ops.report;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;

import org.hotline.testsupport.TestSupportConfig;

/**
 * The whole application with a real HTTP server on a free port. The same configuration as the agent
 * console's tests, so all of them share one cached context (one embedded MariaDB).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.prometheus.metrics.export.enabled=true")
@ActiveProfiles("test")
@Import(TestSupportConfig.class)
public @interface ReportWebTest {
}
