package org.hotline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The console's password rule, on its own: what it refuses and why, and that the demo's passwords pass. */
class PasswordRuleTest {

    @ParameterizedTest
    @CsvSource({
            "admin, 1234567890, PASSWORD_TOO_COMMON",
            "admin, 0987654321, PASSWORD_TOO_COMMON",
            "admin, aaaaaaaaaa, PASSWORD_TOO_COMMON",
            "admin, qwertyuiop, PASSWORD_TOO_COMMON",
            "admin, 1q2w3e4r5t, PASSWORD_TOO_COMMON",
            "admin, 1qaz2wsx3edc, PASSWORD_TOO_COMMON",
            "admin, abcdefghij, PASSWORD_TOO_COMMON",
            "admin, password123, PASSWORD_TOO_COMMON",
            "admin, Password2024!, PASSWORD_TOO_COMMON",
            "admin, p@ssw0rd2024, PASSWORD_TOO_COMMON",
            "admin, passwordpassword, PASSWORD_TOO_COMMON",
            "admin, woaini1314, PASSWORD_TOO_COMMON",
            "admin, 5201314520, PASSWORD_TOO_COMMON",
            "admin, 1212121212, PASSWORD_TOO_COMMON",
            "admin, iloveyou!!, PASSWORD_TOO_COMMON",
            "wangfang01, wangfang01, PASSWORD_LIKE_USERNAME",
            "wangfang01, WANGFANG01, PASSWORD_LIKE_USERNAME",
            "wangfang01, wangfang01123, PASSWORD_LIKE_USERNAME",
            "wangfang01, 10gnafgnaw, PASSWORD_LIKE_USERNAME",
            "wangfang01, wangfang01wangfang01, PASSWORD_LIKE_USERNAME",
            "agent-zhao-001, agent-zhao, PASSWORD_LIKE_USERNAME",
            "admin, short, PASSWORD_TOO_SHORT",
    })
    void refuses(String username, String password, UserProblem why) {
        assertThat(PasswordRule.check(username, password, 10)).contains(why);
    }

    @ParameterizedTest
    @CsvSource({
            "admin, hotline-demo-admin",
            "admin, a-long-password",
            "agent-1-abc123, test-password-123",
            "root-admin, a-proper-secret-1",
            "second-admin, another-secret-22",
            "desk-1, a-desk-password",
            "ops-watch, watch-the-gateway-7",
            "zhang, 蓝色的长江大桥2031",
            "zhang, correct horse battery",
    })
    void accepts(String username, String password) {
        assertThat(PasswordRule.check(username, password, 10)).isEqualTo(Optional.empty());
    }

    @ParameterizedTest
    @CsvSource({"1234567890, 1", "aaaaaaaaaa, 1", "qwertyuiop, 1", "hotline-demo-admin, 11"})
    void strengthCountsWhatAGuesserCannotPredict(String password, int strength) {
        assertThat(PasswordRule.strength(password)).isEqualTo(strength);
    }
}
