/**
 * The agent console over HTTP: form login and roles (Spring Security, CSRF on), the server-rendered
 * console page and its script, and the REST API under {@code /api} that the page uses (described by
 * OpenAPI at {@code /api/openapi}). Actuator health and Prometheus stay open for operators' scrapers.
 */
package org.hotline.agent.web;
