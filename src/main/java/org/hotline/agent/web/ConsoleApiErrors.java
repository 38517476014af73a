package org.hotline.agent.web;

import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

import org.hotline.agent.AgentDesk;
import org.hotline.agent.ConsoleInput;

/** Malformed requests to /api get a 400 with a sentence the console can show (and nothing is held or written). */
@RestControllerAdvice(basePackages = "org.hotline.agent.web")
class ConsoleApiErrors {

    @ExceptionHandler(AgentDesk.UnknownTransferException.class)
    ResponseEntity<Map<String, String>> unknownTransfer(AgentDesk.UnknownTransferException e) {
        return ResponseEntity.badRequest().body(Map.of("text", e.getMessage()));
    }

    @ExceptionHandler(ConsoleInput.BadInput.class)
    ResponseEntity<Map<String, String>> badInput(ConsoleInput.BadInput e) {
        return ResponseEntity.badRequest().body(Map.of("field", e.field(), "text", e.getMessage()));
    }

    @ExceptionHandler({IllegalArgumentException.class, HttpMessageNotReadableException.class,
            MethodArgumentTypeMismatchException.class, MissingServletRequestParameterException.class})
    ResponseEntity<Map<String, String>> badArgument(Exception e) {
        return ResponseEntity.badRequest().body(Map.of("text", "请求内容不正确"));
    }
}
