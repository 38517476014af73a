package org.hotline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three gateway processes (production profile) against a 3-node Galera cluster on loopback, in both
 * configurations: each gateway writing to a different node, and all writing to one node through the
 * same sequential URL (what docs/deploy.md recommends). One Galera node and one gateway are killed mid-run.
 */
@org.junit.jupiter.api.Tag("cluster") // alone, after the rest (pom.xml: several processes and databases each)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GaleraClusterTest extends ClusterScenario {

    static GaleraCluster galera;

    @BeforeAll
    static void startCluster() throws Exception {
        galera = GaleraCluster.start(3);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (galera != null) {
            galera.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void allNodesUp() throws Exception {
        galera.rejoinDead();
    }

    String checkUrl(int node) {
        // reads on a node see every write committed anywhere before them
        return galera.url(node) + "?sessionVariables=wsrep_sync_wait=1";
    }

    @Test
    @Order(1)
    void eachGatewayWritingToADifferentNodeNeverOversellsThroughANodeAndAGatewayDying() throws Exception {
        List<String> urls = List.of(galera.sequentialUrl(1), galera.sequentialUrl(2), galera.sequentialUrl(3));
        Outcome out = run("galera-each-node", urls, GaleraCluster.USER, GaleraCluster.PASSWORD, checkUrl(1),
                () -> galera.kill(2), Map.of());
        // three writers on one hot row: Galera refuses the losers at commit (1213) and the booking core runs them again
        assertThat(out.retries()).as("certification conflicts retried").isPositive();
    }

    @Test
    @Order(2)
    void allGatewaysWritingToOneNodeFailOverToTheNextWhenItDies() throws Exception {
        String url = galera.sequentialUrl(1);
        run("galera-one-node", List.of(url, url, url), GaleraCluster.USER, GaleraCluster.PASSWORD, checkUrl(3),
                () -> galera.kill(1), Map.of());
    }
}
