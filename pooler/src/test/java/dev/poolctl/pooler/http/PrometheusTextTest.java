package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void labelValuesEscapeBackslashQuoteAndLineFeed() {
        assertEquals("a\\\\b", PrometheusText.escapeLabel("a\\b"));
        assertEquals("say \\\"hi\\\"", PrometheusText.escapeLabel("say \"hi\""));
        assertEquals("two\\nlines", PrometheusText.escapeLabel("two\nlines"));
        assertEquals("tab\tand ünïcode stay", PrometheusText.escapeLabel("tab\tand ünïcode stay"));
    }

    @Test
    void helpEscapesBackslashAndLineFeedButNotQuotes() {
        assertEquals("a \\\\ \"b\"\\nc", PrometheusText.escapeHelp("a \\ \"b\"\nc"));
    }

    @Test
    void writesHelpTypeAndSamplesWithLabelsInOrder() {
        String text = new PrometheusText()
                .family("pgbouncer_pools_client_waiting_connections", "gauge", "Client connections waiting")
                .sample("pgbouncer_pools_client_waiting_connections", List.of("database", "user"),
                        List.of("db\"1", "u\\n"), 3)
                .family("pgbouncer_up", "gauge", "up")
                .sample("pgbouncer_up", List.of(), List.of(), 1)
                .toString();
        assertEquals("""
                # HELP pgbouncer_pools_client_waiting_connections Client connections waiting
                # TYPE pgbouncer_pools_client_waiting_connections gauge
                pgbouncer_pools_client_waiting_connections{database="db\\"1",user="u\\\\n"} 3
                # HELP pgbouncer_up up
                # TYPE pgbouncer_up gauge
                pgbouncer_up 1
                """, text);
    }

    @Test
    void valuesAreWholeNumbersWithoutFractionOtherwiseRoundTrip() {
        assertEquals("0", PrometheusText.format(0));
        assertEquals("123456789012", PrometheusText.format(123456789012L));
        assertEquals("1.5", PrometheusText.format(1.5));
        assertEquals("1.0E-6", PrometheusText.format(1 * 1e-6));
        assertEquals("NaN", PrometheusText.format(Double.NaN));
        assertEquals("+Inf", PrometheusText.format(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", PrometheusText.format(Double.NEGATIVE_INFINITY));
        assertEquals(12.345678, Double.parseDouble(PrometheusText.format(12345678 * 1e-6)), 0);
    }
}
