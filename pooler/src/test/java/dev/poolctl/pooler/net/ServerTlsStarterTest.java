package dev.poolctl.pooler.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server-side TLS step on an EmbeddedChannel: what goes out first, what is held, and every way it fails. */
class ServerTlsStarterTest {
    private final List<String> failures = new ArrayList<>();
    private final List<ByteBuf> startups = new ArrayList<>();
    private final List<String> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
    private EmbeddedChannel ch;

    /** Stands for the server connection: writes its StartupMessage when the channel is active. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf startup = Unpooled.buffer().writeInt(9).writeInt(196608).writeByte(0);
            startups.add(startup);
            ctx.writeAndFlush(startup);
        }
    }

    private EmbeddedChannel start(String mode) {
        return start(TlsContexts.build(GeneralSettings.of(Map.of(Setting.SERVER_TLS_SSLMODE, mode)), null).server());
    }

    private EmbeddedChannel start(TlsContexts.Side tls) {
        ch = new EmbeddedChannel(new ServerTlsStarter(tls, "localhost", 5432, failures::add, announced::add),
                new Connection());
        ByteBuf request = ch.readOutbound();
        assertEquals(8, request.readableBytes());
        assertEquals(8, request.getInt(0));
        assertEquals(80877103, request.getInt(4));
        request.release();
        assertNull(ch.readOutbound(), "the StartupMessage waits for the answer");
        return ch;
    }

    @AfterEach
    void finish() {
        if (ch == null) {
            return; // a test of the wording only
        }
        ch.runPendingTasks();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ((ByteBuf) o).release();
        }
        ch.finishAndReleaseAll();
        startups.forEach(b -> assertEquals(0, b.refCnt(), "every held write is sent or released"));
    }

    @Test
    void preferGoesOnInPlainTextWhenTheServerSaysN() {
        start("prefer");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N'}));
        ByteBuf startup = ch.readOutbound();
        assertEquals(9, startup.readableBytes());
        startup.release();
        assertNull(ch.pipeline().get(ServerTlsStarter.class), "the step leaves the pipeline");
        assertTrue(failures.isEmpty());
        assertTrue(ch.isOpen());
    }

    @Test
    void requireFailsWhenTheServerSaysN() {
        start("require");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N'}));
        assertEquals(List.of("server refused SSL (server_tls_sslmode=require)"), failures);
        assertFalse(ch.isOpen());
    }

    @Test
    void bytesBehindTheAnswerAreRefused() {
        start("prefer");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N', 'R', 0, 0, 0, 8, 0, 0, 0, 0}));
        assertEquals(List.of("received unencrypted data after SSL response"), failures);
        assertFalse(ch.isOpen());
    }

    @Test
    void anAnswerOtherThanSOrNIsRefused() {
        start("prefer");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'E'}));
        assertEquals(List.of("bad sslreq answer"), failures);
    }

    @Test
    void sStartsTheHandshakeBeforeTheStartupMessage() {
        start("require");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S'}));
        awaitSslHandler();
        ByteBuf hello = ch.readOutbound();
        assertEquals(0x16, hello.getByte(0), "a TLS handshake record (ClientHello), not the StartupMessage");
        hello.release();
        assertTrue(failures.isEmpty());
    }

    @Test
    void theDefaultServerContextIsBuiltOnTheFirstSOnlyAndKept() {
        TlsContexts.Side prefer = TlsContexts.build(GeneralSettings.of(Map.of()), null).server();
        assertTrue(prefer.enabled(), "prefer by default");
        start(prefer);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N'}));
        ((ByteBuf) ch.readOutbound()).release();
        assertFalse(prefer.loaded(), "a server that answers N loads no TLS library");
        assertTrue(announced.isEmpty());
        finish();

        start(prefer);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S'}));
        awaitSslHandler();
        assertTrue(prefer.loaded());
        assertEquals(1, announced.size(), announced.toString());
        assertTrue(announced.get(0).startsWith("server TLS context built on first use, tls: "), announced.get(0));
        finish();

        start(prefer);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S'}));
        assertNotNull(ch.pipeline().get(SslHandler.class), "built once: the next login's handshake starts at once");
        assertEquals(1, announced.size(), "built once");
    }

    @Test
    void aConnectionClosedWhileTheContextIsBuiltIsLeftAlone() throws Exception {
        TlsContexts.Side real = TlsContexts.build(GeneralSettings.of(Map.of()), null).server();
        io.netty.handler.ssl.SslContext context = real.whenReady(line -> { }).get(10, java.util.concurrent.TimeUnit.SECONDS);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        TlsContexts.Side slow = new TlsContexts.Side(real.settings(), null, new DeferredContext(() -> {
            try {
                closed.await(); // the build outlasts the connection
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return context;
        }));
        start(slow);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S'}));
        ch.close();
        closed.countDown();
        slow.whenReady(announced::add).get(10, java.util.concurrent.TimeUnit.SECONDS);
        ch.runPendingTasks();
        assertNull(ch.pipeline().get(SslHandler.class), "no handshake on a closed channel");
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void aServerContextWithFilesIsBuiltAtStartSoThatAWrongFileIsRefusedThere() {
        var withCa = new dev.poolctl.pooler.config.TlsSettings("verify-ca", null, null, "/etc/ca.crt",
                List.of("TLSv1.3"), "default", "");
        assertFalse(TlsContexts.deferrable(withCa));
        var withCiphers = new dev.poolctl.pooler.config.TlsSettings("require", null, null, null,
                List.of("TLSv1.3"), "default", "TLS_AES_128_GCM_SHA256");
        assertFalse(TlsContexts.deferrable(withCiphers));
        assertTrue(TlsContexts.deferrable(new dev.poolctl.pooler.config.TlsSettings("verify-full", null, null, null,
                List.of("TLSv1.3"), "default", "")), "no file: the JDK's CAs, read on first use");
    }

    /** The deferred context is built on a TLS worker; its completion comes back as a task of the channel's loop. */
    private void awaitSslHandler() {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (ch.pipeline().get(SslHandler.class) == null && System.nanoTime() < deadline) {
            ch.runPendingTasks();
            Thread.onSpinWait();
        }
        assertNotNull(ch.pipeline().get(SslHandler.class), "an SslHandler in front");
    }

    @Test
    void closedBeforeTheAnswerReleasesTheHeldStartup() {
        start("prefer");
        ch.close();
        assertTrue(failures.isEmpty());
    }

    @Test
    void aRefusedCertificateIsReportedInPgBouncersWordsWithTheSettingsItWasCheckedAgainst() {
        var settings = new dev.poolctl.pooler.config.TlsSettings("verify-ca", null, null, "/etc/ca.crt",
                List.of("TLSv1.3"), "default", "");
        var refused = new javax.net.ssl.SSLHandshakeException("General OpenSslEngine problem");
        refused.initCause(new java.security.cert.CertificateException("PKIX path building failed",
                new java.security.cert.CertPathValidatorException("unable to find valid certification path")));
        assertEquals("certificate verify failed: unable to find valid certification path"
                + " (server_tls_sslmode=verify-ca, server_tls_ca_file=/etc/ca.crt)", ServerTlsStarter.reason(refused, settings));
        var other = new javax.net.ssl.SSLHandshakeException("Received fatal alert: protocol_version");
        assertEquals("Received fatal alert: protocol_version", ServerTlsStarter.reason(other, settings));
    }
}
