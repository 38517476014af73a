package org.hotline;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * Dependencies point one way: adapters → ivr → handoff, booking; sms, release → booking; agent → handoff, booking;
 * booking and handoff → nothing of ours (handoff: but the database watch). docs/architecture.md draws it.
 */
class ModularityTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.hotline");

    @Test
    void bookingDependsOnNothingElseOfOurs() {
        noClasses().that().resideInAPackage("org.hotline.booking..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr..", "org.hotline.sms..", "org.hotline.release..",
                        "org.hotline.agent..", "org.hotline.ops..", "org.hotline.demo..", "org.hotline.db..",
                        "org.hotline.handoff..")
                .check(CLASSES);
    }

    @Test
    void theFlowEngineKnowsNoAdapter() {
        noClasses().that().resideInAPackage("org.hotline.ivr").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr.agi..", "org.hotline.ivr.sip..", "org.asteriskjava..",
                        "javax.sip..", "gov.nist..")
                .allowEmptyShould(true).check(CLASSES);
    }

    @Test
    void featureModulesDoNotReachIntoEachOther() {
        noClasses().that().resideInAPackage("org.hotline.sms..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr..", "org.hotline.agent..", "org.hotline.ops..",
                        "org.hotline.handoff..")
                .allowEmptyShould(true).check(CLASSES);
        noClasses().that().resideInAPackage("org.hotline.release..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr..", "org.hotline.agent..", "org.hotline.ops..",
                        "org.hotline.sms..", "org.hotline.handoff..")
                .allowEmptyShould(true).check(CLASSES);
    }

    @Test
    void theConsoleUsesTheBookingApiAndTheFlowContractsOnly() {
        noClasses().that().resideInAPackage("org.hotline.agent..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr.agi..", "org.hotline.ivr.sip..", "org.hotline.release..",
                        "org.hotline.ops..", "org.hotline.demo..", "org.hotline.db..")
                .check(CLASSES);
        noClasses().that().resideInAPackage("org.hotline.ivr..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.agent..").allowEmptyShould(true).check(CLASSES);
        noClasses().that().resideInAPackage("org.hotline.agent").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.agent.web..").check(CLASSES);
    }

    /**
     * The hand-off (transfers, call-backs) is recorded by ivr and worked by agent and knows neither: nothing of
     * ours but the database watch (records wait in memory while the database is away).
     */
    @Test
    void theHandOffKnowsNoFeatureModule() {
        noClasses().that().resideInAPackage("org.hotline.handoff..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.booking..", "org.hotline.ivr..", "org.hotline.sms..",
                        "org.hotline.release..", "org.hotline.agent..", "org.hotline.ops..", "org.hotline.demo..")
                .check(CLASSES);
    }

    /**
     * Hospital administration (issue 17) orchestrates the owners' APIs (booking, release) and the console's audit
     * trail; it owns no table and nothing depends on it.
     */
    @Test
    void nothingDependsOnHospitalAdministration() {
        noClasses().that().resideOutsideOfPackage("org.hotline.admin..").should().dependOnClassesThat()
                .resideInAPackage("org.hotline.admin..").check(CLASSES);
        noClasses().that().resideInAPackage("org.hotline.admin..").should().dependOnClassesThat()
                .resideInAnyPackage("org.hotline.ivr..", "org.hotline.sms..", "org.hotline.ops..", "org.hotline.demo..",
                        "org.hotline.db..", "org.hotline.handoff..")
                .check(CLASSES);
    }

    @Test
    void nothingDependsOnTheReports() {
        noClasses().that().resideOutsideOfPackage("org.hotline.ops..").should().dependOnClassesThat()
                .resideInAPackage("org.hotline.ops.report..").allowEmptyShould(true).check(CLASSES);
    }

    /** The modules (org.hotline.X with everything under it) form no cycle; tables: {@link TableOwnershipTest}. */
    @Test
    void modulesDependOnEachOtherWithoutCycles() {
        slices().matching("org.hotline.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    /** "Agent" names a person (the console, a transfer's target); the SIP side is an endpoint. */
    @Test
    void noSipClassIsCalledAnAgent() {
        noClasses().that().resideInAPackage("org.hotline.ivr.sip..").should().haveSimpleNameContaining("Agent")
                .check(CLASSES);
    }

    /**
     * A SIP call reaches the SIP side through its narrow {@code CallSignalling} (BYE, REFER, media, its place):
     * never the stack's listener, nor the whole endpoint.
     */
    @Test
    void aSipCallKnowsItsSignallingOnly() {
        noClasses().that().haveFullyQualifiedName("org.hotline.ivr.sip.SipCall").should().dependOnClassesThat()
                .areAssignableTo(javax.sip.SipListener.class)
                .orShould().dependOnClassesThat().areAssignableTo(org.hotline.ivr.sip.SipEndpoint.class)
                .check(CLASSES);
    }
}
