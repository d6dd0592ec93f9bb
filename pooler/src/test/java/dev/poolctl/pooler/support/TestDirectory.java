package dev.poolctl.pooler.support;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.util.ssl.PEMFileKeyManager;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSimpleBindRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Path;

/**
 * A real LDAP server for the LDAP authentication tests: UnboundID's in-memory directory on 127.0.0.1 (free ports),
 * base {@value #BASE}, a reader account for search+bind, and people under {@value #PEOPLE}. With certificates it
 * also listens for ldaps and accepts StartTLS on the plain port.
 */
public final class TestDirectory implements AutoCloseable {
    public static final String BASE = "dc=example,dc=net";
    public static final String PEOPLE = "ou=people," + BASE;
    public static final String READER_DN = "cn=reader," + BASE;
    public static final String READER_PASSWORD = "reader_pw";

    private final InMemoryDirectoryServer server;
    private final AtomicInteger binds;

    private TestDirectory(InMemoryDirectoryServer server, AtomicInteger binds) {
        this.server = server;
        this.binds = binds;
    }

    /** Plain LDAP only. */
    public static TestDirectory start() {
        return start(null, null);
    }

    /** Plain LDAP with StartTLS, and ldaps, both presenting {@code cert} (PEM) with {@code key} (PKCS#8 PEM). */
    public static TestDirectory start(Path cert, Path key) {
        try {
            InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(BASE);
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            if (cert == null) {
                config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", loopback, 0, null));
            } else {
                SSLUtil serverSsl = new SSLUtil(new PEMFileKeyManager(cert.toFile(), key.toFile()),
                        new TrustAllTrustManager());
                config.setListenerConfigs(
                        InMemoryListenerConfig.createLDAPConfig("ldap", loopback, 0, serverSsl.createSSLSocketFactory()),
                        InMemoryListenerConfig.createLDAPSConfig("ldaps", loopback, 0,
                                serverSsl.createSSLServerSocketFactory(), null));
            }
            config.setSchema(null); // any attribute, as a test directory needs no schema checks
            AtomicInteger binds = new AtomicInteger();
            config.addInMemoryOperationInterceptor(new InMemoryOperationInterceptor() {
                @Override
                public void processSimpleBindRequest(InMemoryInterceptedSimpleBindRequest request) {
                    binds.incrementAndGet();
                }
            });
            InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
            server.add(new Entry("dn: " + BASE, "objectClass: top", "objectClass: domain", "dc: example"));
            server.add(new Entry("dn: " + PEOPLE, "objectClass: top", "objectClass: organizationalUnit", "ou: people"));
            server.add(new Entry("dn: " + READER_DN, "objectClass: top", "objectClass: person", "cn: reader",
                    "sn: reader", "userPassword: " + READER_PASSWORD));
            server.startListening();
            return new TestDirectory(server, binds);
        } catch (Exception e) {
            throw new IllegalStateException("the test LDAP server did not start: " + e.getMessage(), e);
        }
    }

    /** A person {@code uid=<uid>,ou=people,...} with {@code cn} and {@code password}. */
    public TestDirectory person(String uid, String cn, String password) {
        try {
            server.add(new Entry("dn: uid=" + uid + "," + PEOPLE, "objectClass: top", "objectClass: person",
                    "objectClass: inetOrgPerson", "uid: " + uid, "cn: " + cn, "sn: " + cn,
                    "userPassword: " + password));
            return this;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public int ldapPort() {
        return server.getListenPort("ldap");
    }

    public int ldapsPort() {
        return server.getListenPort("ldaps");
    }

    /** How many simple binds the server was asked for (a check that none was even tried). */
    public int binds() {
        return binds.get();
    }

    @Override
    public void close() {
        server.shutDown(true);
    }
}
