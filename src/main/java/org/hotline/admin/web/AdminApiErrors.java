package org.hotline.admin.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

import org.hotline.admin.HospitalAdmin;
import org.hotline.admin.NameRecordings;
import org.hotline.booking.CatalogueAdmin;

/**
 * How the administrators' API says no: 404 for what is not there or not this administrator's (the same body
 * either way), 403 for what the role may not do, 400 {@code {"field","text"}} for malformed input, 422
 * {@code {"refusal":"POLICY_RULES","rules":[…]}} for the bureau's rules, 409 for a closure that has bookings.
 */
@RestControllerAdvice(basePackages = "org.hotline.admin.web")
@Order(Ordered.HIGHEST_PRECEDENCE)
class AdminApiErrors {

    @ExceptionHandler(HospitalAdmin.NotFound.class)
    ResponseEntity<Map<String, String>> notFound(HospitalAdmin.NotFound e) {
        return ResponseEntity.status(404).body(Map.of("text", e.getMessage()));
    }

    @ExceptionHandler(HospitalAdmin.Forbidden.class)
    ResponseEntity<Map<String, String>> forbidden(HospitalAdmin.Forbidden e) {
        return ResponseEntity.status(403).body(Map.of("text", e.getMessage()));
    }

    @ExceptionHandler(CatalogueAdmin.Invalid.class)
    ResponseEntity<Map<String, String>> invalid(CatalogueAdmin.Invalid e) {
        return ResponseEntity.badRequest().body(Map.of("field", e.field(), "text", e.getMessage()));
    }

    @ExceptionHandler(NameRecordings.Unusable.class)
    ResponseEntity<Map<String, String>> unusable(NameRecordings.Unusable e) {
        return ResponseEntity.status(422).body(Map.of("refusal", "AUDIO", "text", e.getMessage()));
    }

    @ExceptionHandler(HospitalAdmin.RulesBroken.class)
    ResponseEntity<Map<String, Object>> rules(HospitalAdmin.RulesBroken e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("refusal", "POLICY_RULES");
        body.put("text", "违反市卫健委号源规则：" + e.getMessage());
        body.put("rules", e.breaches().stream().map(b -> Map.of("rule", b.rule().name(), "text", b.text())).toList());
        body.put("overrideAllowed", e.overrideAllowed());
        return ResponseEntity.status(422).body(body);
    }

    @ExceptionHandler(HospitalAdmin.HasBookings.class)
    ResponseEntity<Map<String, Object>> hasBookings(HospitalAdmin.HasBookings e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("refusal", "HAS_BOOKINGS");
        body.put("text", e.getMessage());
        List<Map<String, Object>> sessions = e.sessions().stream().map(s -> Map.<String, Object>of("sessionId", s.id(),
                "serviceId", s.serviceId(), "date", s.date().toString(), "period", s.period(), "taken", s.taken()))
                .toList();
        body.put("sessions", sessions);
        // asked again with cancelBookings=true, the same screen cancels them (停诊: tell each patient the nearest
        // alternative, the elders on the worklist of /console/closures)
        body.put("cancelBookings", true);
        body.put("worklist", "/console/closures");
        return ResponseEntity.status(409).body(body);
    }

    @ExceptionHandler({IllegalArgumentException.class, HttpMessageNotReadableException.class,
            MethodArgumentTypeMismatchException.class, MissingServletRequestParameterException.class})
    ResponseEntity<Map<String, String>> badArgument(Exception e) {
        return ResponseEntity.badRequest().body(Map.of("text", "请求内容不正确"));
    }
}
