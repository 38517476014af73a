package org.hotline.testsupport;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.boot.web.server.servlet.ServletWebServerFactory;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.boot.web.servlet.ServletContextInitializerBeans;
import org.springframework.context.ApplicationContext;

/**
 * A real HTTP server on a free loopback port in front of the shared {@link IntegrationTest} context (a mock web
 * environment), for a test that must talk HTTP as a real peer does (a hospital system's FHIR client, the console's
 * login with cookie and CSRF) without starting an application of its own: the context's own servlets and filters
 * (the DispatcherServlet, Spring Security's chains, …) are registered in it exactly as Spring Boot registers them
 * in the embedded server of a running gateway ({@link ServletContextInitializerBeans}). Stop it after the class:
 * left running, a server slows the later tests.
 */
public final class HttpDoor implements AutoCloseable {

    private final WebServer server;

    private HttpDoor(WebServer server) {
        this.server = server;
    }

    public static HttpDoor open(ApplicationContext context) {
        ServletWebServerFactory factory = context.getBeanProvider(ServletWebServerFactory.class)
                .getIfAvailable(TomcatServletWebServerFactory::new);
        if (factory instanceof ConfigurableServletWebServerFactory c) {
            c.setPort(0);
            c.setAddress(java.net.InetAddress.getLoopbackAddress());
        }
        WebServer server = factory.getWebServer(new ServletContextInitializerBeans(
                context.getAutowireCapableBeanFactory() instanceof org.springframework.beans.factory.ListableBeanFactory l
                        ? l : context).toArray(ServletContextInitializer[]::new));
        server.start();
        return new HttpDoor(server);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.stop();
        server.destroy();
    }
}
