package org.hotline.ops.report;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import org.hotline.testsupport.TestSupportConfig;

/**
 * The whole application with a real HTTP server on a free port, the same configuration as the agent
 * console's tests, and like theirs closed after each class (left running, its HTTP server, SMS dispatcher
 * and sink slow the later release tests' nodes).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.prometheus.metrics.export.enabled=true")
@ActiveProfiles("test")
@Import(TestSupportConfig.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
public @interface ReportWebTest {
}
