package org.hotline.agent.web;

import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import org.hotline.agent.AgentDesk;

/** Malformed requests to /api get a 400 with a sentence the console can show. */
@RestControllerAdvice(basePackages = "org.hotline.agent.web")
class ConsoleApiErrors {

    @ExceptionHandler(AgentDesk.UnknownTransferException.class)
    ResponseEntity<Map<String, String>> unknownTransfer(AgentDesk.UnknownTransferException e) {
        return ResponseEntity.badRequest().body(Map.of("text", e.getMessage()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, String>> badArgument(IllegalArgumentException e) {
        return ResponseEntity.badRequest().body(Map.of("text", "请求内容不正确"));
    }
}
