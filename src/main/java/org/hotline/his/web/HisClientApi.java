package org.hotline.his.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.web.ConsoleUserDetails;
import org.hotline.his.HisClient;
import org.hotline.his.HisClients;
import org.hotline.his.HisToken;

/**
 * The admin's management of hospital systems (console session with CSRF, role ADMIN: agent.web.ConsoleSecurity):
 * create, list, issue a token (rotation), revoke. A secret is in the answer that issued it, and nowhere else.
 */
@RestController
@Tag(name = "his-clients", description = "医院信息系统（HIS）接入：FHIR 客户端与令牌（管理员）")
class HisClientApi {

    record NewClient(String name, Set<Long> facilityIds, String pushUrl, Set<String> endpointHosts,
            Integer ratePerMinute) {
    }

    /** backlog: the pushes waiting for this client (null: none), as /ops shows them. */
    record ClientView(HisClient client, List<HisToken> tokens, HisClients.Backlog backlog) {
    }

    private final HisClients clients;

    HisClientApi(HisClients clients) {
        this.clients = clients;
    }

    @GetMapping("/api/his/clients")
    @Operation(summary = "接入的医院信息系统、其令牌（不含令牌本身）和推送积压")
    List<ClientView> all() {
        Map<Long, HisClients.Backlog> backlog = clients.backlog();
        return clients.all().stream().map(c -> new ClientView(c, clients.tokens(c.id()), backlog.get(c.id()))).toList();
    }

    @PostMapping("/api/his/clients")
    @Operation(summary = "新建接入系统：返回第一个令牌（只显示这一次）")
    ResponseEntity<?> create(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody NewClient body) {
        if (body == null) {
            return ResponseEntity.badRequest().body(Map.of("text", "请求内容为空"));
        }
        return answer(clients.create(me.actor(), body.name(), body.facilityIds(), body.pushUrl(),
                body.endpointHosts(), body.ratePerMinute()), 201);
    }

    @PostMapping("/api/his/clients/{id}/tokens")
    @Operation(summary = "为接入系统签发新令牌（轮换：最多同时两个有效令牌；只显示这一次）")
    ResponseEntity<?> issue(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id) {
        return answer(clients.issueToken(me.actor(), id), 201);
    }

    @PostMapping("/api/his/clients/{id}/push-secret")
    @Operation(summary = "更换推送签名密钥：旧密钥立即停用（新密钥只显示这一次）")
    ResponseEntity<?> pushSecret(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id) {
        return answer(clients.rotatePushSecret(me.actor(), id), 200);
    }

    @PostMapping("/api/his/tokens/{id}/revoke")
    @Operation(summary = "吊销令牌：立即失效")
    ResponseEntity<?> revoke(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable long id) {
        return answer(clients.revoke(me.actor(), id), 200);
    }

    private static ResponseEntity<?> answer(HisClients.Outcome out, int okStatus) {
        if (out instanceof HisClients.Outcome.Refused r) {
            return ResponseEntity.status("NOT_FOUND".equals(r.problem()) ? 404 : 422)
                    .body(Map.of("problem", r.problem(), "text", r.text()));
        }
        HisClients.Outcome.Done d = (HisClients.Outcome.Done) out;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("client", d.client());
        if (d.token() != null) {
            body.put("token", d.token());
        }
        if (d.secret() != null) {
            body.put("secret", d.secret());
        }
        if (d.pushSecret() != null) {
            body.put("pushSecret", d.pushSecret());
        }
        return ResponseEntity.status(okStatus).header("Cache-Control", "no-store").body(body);
    }
}
