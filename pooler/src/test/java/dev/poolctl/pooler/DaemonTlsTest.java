package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.TlsContexts;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** How the daemon puts TLS contexts in force: a deferred server side survives reloads that do not change it. */
class DaemonTlsTest {
    private static final Path INI = Path.of("/nonexistent/pgbouncer.ini");

    private static PoolerConfig config(Map<Setting, String> values) {
        return new PoolerConfig(INI, GeneralSettings.of(values), Map.of(), Map.of());
    }

    @Test
    void aReloadWithTheSameServerSettingsKeepsTheDeferredContextAndItsBuild() throws Exception {
        PoolerConfig prefer = config(Map.of());
        AtomicInteger reconnects = new AtomicInteger();
        try (PoolerLog log = new PoolerLog(false, 0)) {
            DaemonTls tls = new DaemonTls(INI, DaemonTls.build(INI, prefer), log, reconnects::incrementAndGet);
            TlsContexts.Side before = tls.current().server();
            assertTrue(before.enabled());
            assertFalse(before.loaded(), "nothing built at start");
            assertEquals("loaded when a server first offers TLS (server_tls_sslmode=prefer)",
                    DaemonTls.startupWords(tls.current()));

            tls.install(prefer);
            assertSame(before, tls.current().server(), "a context built on first use is not built again after RELOAD");
            assertEquals(0, reconnects.get());

            tls.install(config(Map.of(Setting.SERVER_TLS_SSLMODE, "require")));
            assertNotSame(before, tls.current().server());
            assertEquals(1, reconnects.get(), "a changed server sslmode reconnects");
            assertEquals("off", DaemonTls.startupWords(DaemonTls.build(INI,
                    config(Map.of(Setting.SERVER_TLS_SSLMODE, "disable")))));
        }
    }
}
