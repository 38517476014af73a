package org.hotline.agent.web;

import java.time.Duration;
import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.hotline.agent.BookingSmsStatus;

@RestController
@Tag(name = "sms", description = "短信未送达提醒")
class SmsNoticeApi {

    private final BookingSmsStatus sms;

    SmsNoticeApi(BookingSmsStatus sms) {
        this.sms = sms;
    }

    @GetMapping("/api/sms/notices")
    @Operation(summary = "近 24 小时内无法送达的号码（请坐席改为电话联系）")
    List<BookingSmsStatus.Notice> notices() {
        return sms.notices(Duration.ofHours(24));
    }
}
