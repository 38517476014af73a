package org.hotline.agent.web;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.ConsoleRole;
import org.hotline.agent.ConsoleUser;
import org.hotline.agent.ConsoleUsers;
import org.hotline.agent.ScreenPops;
import org.hotline.agent.UserProblem;

@RestController
@RequestMapping("/api/users")
@Tag(name = "users", description = "控制台用户（管理员）")
class UserApi {

    private final ConsoleUsers users;
    private final ScreenPops pops;

    UserApi(ConsoleUsers users, ScreenPops pops) {
        this.users = users;
        this.pops = pops;
    }

    record Phone(String memberInterface) {
    }

    @GetMapping("/phones")
    @Operation(summary = "坐席与话机（队列成员，如 PJSIP/agent8001）的绑定，用于来电弹屏")
    List<ScreenPops.Phone> phones() {
        return pops.phones();
    }

    @PostMapping("/{username}/phone")
    @Operation(summary = "设定坐席所用的话机（队列成员接口，如 PJSIP/agent8001）；空值解除绑定。记入审计")
    ResponseEntity<?> phone(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable String username,
            @RequestBody Phone body) {
        Optional<ScreenPops.PhoneProblem> problem = pops.setPhone(me.actor(), username, body.memberInterface());
        if (problem.isPresent()) {
            return ResponseEntity.status(problem.get() == ScreenPops.PhoneProblem.NO_SUCH_USER ? 404 : 422)
                    .body(Map.of("problem", problem.get().name(), "text", problem.get().text()));
        }
        return ResponseEntity.ok(pops.phones().stream().filter(p -> p.username().equals(username)).findFirst()
                .map(p -> (Object) p).orElse(Map.of("username", username)));
    }

    record NewUser(String username, String password, String displayName, ConsoleRole role, Long facilityId) {
    }

    record Password(String password) {
    }

    record Enabled(boolean enabled) {
    }

    @GetMapping
    List<ConsoleUser> all() {
        return users.all();
    }

    @PostMapping
    @Operation(summary = "新建用户（社区医生须指定所属社区卫生服务中心）")
    ResponseEntity<?> create(@AuthenticationPrincipal ConsoleUserDetails me, @RequestBody NewUser body) {
        if (body.role() == null) {
            return ResponseEntity.badRequest().body(Map.of("text", "请选择角色"));
        }
        return answer(users.create(me.actor(), body.username(), body.password(), body.displayName(), body.role(),
                body.facilityId()), body.username());
    }

    @PostMapping("/{username}/password")
    ResponseEntity<?> password(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable String username,
            @RequestBody Password body) {
        return answer(users.setPassword(me.actor(), username, body.password()), username);
    }

    @PostMapping("/{username}/enabled")
    ResponseEntity<?> enabled(@AuthenticationPrincipal ConsoleUserDetails me, @PathVariable String username,
            @RequestBody Enabled body) {
        return answer(users.setEnabled(me.actor(), username, body.enabled()), username);
    }

    private ResponseEntity<?> answer(Optional<UserProblem> problem, String username) {
        if (problem.isPresent()) {
            return ResponseEntity.status(422).body(Map.of("problem", problem.get().name(), "text", problem.get().text()));
        }
        return ResponseEntity.of(users.find(username));
    }
}
