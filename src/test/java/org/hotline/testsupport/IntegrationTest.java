package org.hotline.testsupport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;

/**
 * A test on the real (embedded) MariaDB with the whole application, a {@link TestClock} and
 * {@link Fixtures}. Contexts are cached, so test classes with the same configuration share one database:
 * create your own facility and slots with {@link Fixtures} rather than relying on row counts.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest
@ActiveProfiles("test")
@Import(TestSupportConfig.class)
public @interface IntegrationTest {
}
