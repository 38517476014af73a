package org.hotline.sms;

import java.util.Map;

import org.jsmpp.SMPPConstant;

/** SMPP command_status values as names, and which of them are worth retrying. */
final class SmppStatus {

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(SMPPConstant.STAT_ESME_RINVMSGLEN, "ESME_RINVMSGLEN"),
            Map.entry(SMPPConstant.STAT_ESME_RINVBNDSTS, "ESME_RINVBNDSTS"),
            Map.entry(SMPPConstant.STAT_ESME_RSYSERR, "ESME_RSYSERR"),
            Map.entry(SMPPConstant.STAT_ESME_RINVSRCADR, "ESME_RINVSRCADR"),
            Map.entry(SMPPConstant.STAT_ESME_RINVDSTADR, "ESME_RINVDSTADR"),
            Map.entry(SMPPConstant.STAT_ESME_RMSGQFUL, "ESME_RMSGQFUL"),
            Map.entry(SMPPConstant.STAT_ESME_RINVESMCLASS, "ESME_RINVESMCLASS"),
            Map.entry(SMPPConstant.STAT_ESME_RSUBMITFAIL, "ESME_RSUBMITFAIL"),
            Map.entry(SMPPConstant.STAT_ESME_RTHROTTLED, "ESME_RTHROTTLED"),
            Map.entry(SMPPConstant.STAT_ESME_RX_T_APPN, "ESME_RX_T_APPN"),
            Map.entry(SMPPConstant.STAT_ESME_RX_P_APPN, "ESME_RX_P_APPN"),
            Map.entry(SMPPConstant.STAT_ESME_RX_R_APPN, "ESME_RX_R_APPN"),
            Map.entry(SMPPConstant.STAT_ESME_RINVDCS, "ESME_RINVDCS"));

    private SmppStatus() {
    }

    static String name(int status) {
        return NAMES.getOrDefault(status, "status") + String.format(" (0x%02X)", status);
    }

    /** The SMSC is busy or broken for now; the same message may go through later. */
    static boolean temporary(int status) {
        return status == SMPPConstant.STAT_ESME_RSYSERR || status == SMPPConstant.STAT_ESME_RMSGQFUL
                || status == SMPPConstant.STAT_ESME_RSUBMITFAIL || status == SMPPConstant.STAT_ESME_RX_T_APPN
                || status == SMPPConstant.STAT_ESME_RTHROTTLED || status == SMPPConstant.STAT_ESME_RINVBNDSTS;
    }
}
