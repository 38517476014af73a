package org.hotline.booking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;

import org.junit.jupiter.api.Test;

class ResidentIdTest {

    @Test
    void acceptsAValidIdAndDerivesBirthDateAndAge() {
        ResidentId id = ResidentId.of("11010519491231002X");
        assertThat(id.birthDate()).isEqualTo(LocalDate.of(1949, 12, 31));
        assertThat(id.ageOn(LocalDate.of(2026, 11, 25))).isEqualTo(76);
        assertThat(id.ageOn(LocalDate.of(2029, 12, 31))).isEqualTo(80);
    }

    @Test
    void starKeyedOnAPhoneStandsForX() {
        ResidentId.Parsed p = ResidentId.parse("11010519491231002*");
        assertThat(p.valid()).isTrue();
        assertThat(p.id().value()).isEqualTo("11010519491231002X");
    }

    @Test
    void wrongCheckDigitIsItsOwnReason() {
        assertThat(ResidentId.parse("110105194912310021").refusal()).isEqualTo(Refusal.ID_CHECK_DIGIT);
    }

    @Test
    void malformedInputIsIdInvalid() {
        assertThat(ResidentId.parse("1101051949123100").refusal()).isEqualTo(Refusal.ID_INVALID); // too short
        assertThat(ResidentId.parse("11010519491331002X").refusal()).isEqualTo(Refusal.ID_INVALID); // month 13
        assertThat(ResidentId.parse("1101051949123100AX").refusal()).isEqualTo(Refusal.ID_INVALID);
        assertThat(ResidentId.parse("").refusal()).isEqualTo(Refusal.ID_INVALID);
        assertThat(ResidentId.parse(null).refusal()).isEqualTo(Refusal.ID_INVALID);
    }

    @Test
    void masksAllButTheLastFour() {
        ResidentId id = ResidentId.of("11010519491231002X");
        assertThat(id.masked()).isEqualTo("**************002X");
        assertThat(id.toString()).doesNotContain("19491231").doesNotContain("1101");
        assertThat(id.lastFour()).isEqualTo("002X");
    }

    @Test
    void onlyMainlandMobilesTakeSms() {
        assertThat(PhoneNumber.isMobile("13800138000")).isTrue();
        assertThat(PhoneNumber.isMobile("+86 138-0013-8000")).isTrue();
        assertThat(PhoneNumber.isMobile("12800138000")).isFalse(); // 12x is not a mobile range
        assertThat(PhoneNumber.isMobile("01065529988")).isFalse(); // Beijing landline
        assertThat(PhoneNumber.isMobile("1380013800")).isFalse();
        assertThat(PhoneNumber.mask("13800138000")).isEqualTo("138****8000");
        assertThat(PhoneNumber.mask("01065529988")).isEqualTo("010****9988");
    }
}
