package dev.poolctl.pooler.auth;

import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.PEMFileTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import dev.poolctl.pooler.config.LdapOptions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Checks a user's password against an LDAP server (PgBouncer's ldapauth.c, PostgreSQL's CheckLDAPAuth): a simple
 * bind as prefix + user + suffix, or a search for the user's entry followed by a bind as it. Blocking network I/O,
 * so it runs on its own worker threads, never on an event loop; connecting is bounded by 3 s per server (PgBouncer's
 * LDAP_OPT_NETWORK_TIMEOUT) and each request by 10 s. TLS (ldaps, or {@code ldaptls=1} for StartTLS) checks the
 * server's certificate and host name as {@link LdapTrust} says, libldap's way.
 */
public final class LdapAuthentication {
    /** The verdict and, for a refusal, PgBouncer's warning lines saying why (the client only learns it failed). */
    public record Result(boolean ok, List<String> warnings) {
        static Result refused(String... warnings) {
            return new Result(false, List.of(warnings));
        }
    }

    static final int CONNECT_TIMEOUT_MILLIS = 3_000;
    static final int RESPONSE_TIMEOUT_MILLIS = 10_000;
    /** Logins waiting for a worker beyond this are refused at once, rather than queued without bound. */
    static final int QUEUE_LENGTH = 1024;

    private static final AtomicInteger THREADS = new AtomicInteger();
    // A few threads, so that one slow directory server does not hold every LDAP login behind it (PgBouncer: one).
    private static final ThreadPoolExecutor WORKERS = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE_LENGTH), r -> {
                Thread t = new Thread(r, "poolctl-ldap-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private LdapAuthentication() {}

    /** Runs {@code work} on an LDAP worker; false when {@link #QUEUE_LENGTH} logins already wait for one. */
    public static boolean submit(Runnable work) {
        try {
            WORKERS.execute(work);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * {@link #check(LdapOptions, String, String, LdapTrust)} with the TLS checks libldap would make here; whatever
     * goes wrong is a refusal that says what, never an exception on a worker (the login would fail without a word).
     */
    public static Result check(LdapOptions options, String user, String password) {
        try {
            return check(options, user, password, LdapTrust.fromEnvironment());
        } catch (RuntimeException e) {
            return Result.refused("LDAP authentication could not be run: " + e);
        }
    }

    /** Whether {@code password} is {@code user}'s in the directory. */
    public static Result check(LdapOptions options, String user, String password, LdapTrust trust) {
        if (password.isEmpty()) {
            return Result.refused("empty password for LDAP authentication"); // an empty simple bind is anonymous
        }
        if (options.searchBind() && !searchableName(user)) {
            return Result.refused("invalid character in user name for LDAP authentication");
        }
        SSLUtil ssl;
        try {
            ssl = new SSLUtil(trustManager(trust));
        } catch (GeneralSecurityException | RuntimeException e) {
            return Result.refused("could not set up TLS for LDAP" + (trust.caFile() == null ? ""
                    : " with the CA file " + trust.caFile()) + ": " + e.getMessage());
        }
        List<String> warnings = new ArrayList<>();
        try (LDAPConnection connection = connect(options, ssl, trust.verify(), warnings)) {
            if (connection == null) {
                return new Result(false, warnings);
            }
            String server = connection.getConnectedAddress() + ":" + connection.getConnectedPort();
            if (options.startTls() && !startTls(connection, ssl, options, server, warnings)) {
                return new Result(false, warnings);
            }
            String dn = options.searchBind() ? findUser(connection, options, user, server, warnings)
                    : options.simpleBindDn(user);
            if (dn == null) {
                return new Result(false, warnings);
            }
            try {
                connection.bind(new SimpleBindRequest(dn, password));
                return new Result(true, List.of());
            } catch (LDAPException e) {
                return Result.refused("LDAP login failed for user " + dn + " on server " + server + ": " + reason(e));
            }
        }
    }

    /** PgBouncer refuses names it would have to escape in a filter, so none can change the search. */
    static boolean searchableName(String user) {
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '/' || c == 0) {
                return false;
            }
        }
        return true;
    }

    private static TrustManager trustManager(LdapTrust trust) throws GeneralSecurityException {
        if (!trust.verify()) {
            return new TrustAllTrustManager(); // TLS_REQCERT never: the operator's explicit choice, as in libldap
        }
        return trust.caFile() == null ? JVMDefaultTrustManager.getInstance()
                : new PEMFileTrustManager(trust.caFile().toFile());
    }

    /** The first server of the list that answers, as libldap tries its URI list; null when none does. */
    private static LDAPConnection connect(LdapOptions options, SSLUtil ssl, boolean verifyHost, List<String> warnings) {
        LDAPConnectionOptions settings = new LDAPConnectionOptions();
        settings.setConnectTimeoutMillis(CONNECT_TIMEOUT_MILLIS);
        settings.setResponseTimeoutMillis(RESPONSE_TIMEOUT_MILLIS);
        if (verifyHost) {
            settings.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
        }
        settings.setBindWithDNRequiresPassword(true);
        settings.setUseSynchronousMode(true);
        SocketFactory sockets;
        try {
            sockets = "ldaps".equals(options.scheme()) ? ssl.createSSLSocketFactory() : SocketFactory.getDefault();
        } catch (GeneralSecurityException e) {
            warnings.add("could not initialize LDAP: " + e.getMessage());
            return null;
        }
        int port = options.effectivePort();
        for (String host : options.servers()) {
            try {
                return new LDAPConnection(sockets, settings, host, port);
            } catch (LDAPException e) {
                warnings.add("could not connect to LDAP server " + options.scheme() + "://" + host + ":" + port + ": "
                        + reason(e));
            }
        }
        return null;
    }

    private static boolean startTls(LDAPConnection connection, SSLUtil ssl, LdapOptions options, String server,
                                    List<String> warnings) {
        try {
            SSLContext context = ssl.createSSLContext();
            ExtendedResult r = connection.processExtendedOperation(new StartTLSExtendedRequest(context));
            if (r.getResultCode() == ResultCode.SUCCESS) {
                return true;
            }
            warnings.add("could not start LDAP TLS session: " + r.getResultCode() + ", server: " + server + ", port: "
                    + options.effectivePort());
        } catch (LDAPException | GeneralSecurityException e) {
            warnings.add("could not start LDAP TLS session: " + e.getMessage() + ", server: " + server + ", port: "
                    + options.effectivePort());
        }
        return false;
    }

    /** Search+bind's first half: bound as ldapbinddn (or anonymously), the one entry the filter finds. */
    private static String findUser(LDAPConnection connection, LdapOptions options, String user, String server,
                                   List<String> warnings) {
        String bindDn = options.bindDn() == null ? "" : options.bindDn();
        try {
            connection.bind(new SimpleBindRequest(bindDn, options.bindPassword() == null ? "" : options.bindPassword()));
        } catch (LDAPException e) {
            warnings.add("could not perform initial LDAP bind for ldapbinddn \"" + bindDn + "\" on server \"" + server
                    + "\": " + reason(e));
            return null;
        }
        String filter = options.filterFor(user);
        if (!filter.startsWith("(")) {
            filter = "(" + filter + ")"; // libldap accepts uid=$username (PgBouncer's own test has it); RFC 4515 does not
        }
        SearchResult found;
        try {
            SearchRequest search = new SearchRequest(options.baseDn(), options.scope(), Filter.create(filter), "1.1");
            search.setSizeLimit(2); // one entry is the answer; a second is enough to refuse
            found = connection.search(search);
        } catch (LDAPSearchException e) {
            if (e.getResultCode() != ResultCode.SIZE_LIMIT_EXCEEDED) {
                warnings.add("could not search LDAP for filter \"" + filter + "\" on server \"" + server + "\": "
                        + reason(e));
                return null;
            }
            found = e.getSearchResult();
        } catch (LDAPException e) {
            warnings.add("could not search LDAP for filter \"" + filter + "\" on server \"" + server + "\": "
                    + reason(e));
            return null;
        }
        int count = found.getEntryCount();
        if (count == 1) {
            return found.getSearchEntries().get(0).getDN();
        }
        if (count == 0) {
            warnings.add("LDAP user \"" + user + "\" does not exist");
            warnings.add("LDAP search for filter \"" + filter + "\" on server \"" + server + "\" returned no entries.");
        } else {
            warnings.add("LDAP user \"" + user + "\" is not unique");
            warnings.add("LDAP search for filter \"" + filter + "\" on server \"" + server + "\" returned more than one"
                    + " entry.");
        }
        return null;
    }

    private static String reason(LDAPException e) {
        String message = e.getDiagnosticMessage();
        if (message == null || message.isEmpty()) {
            message = e.getMessage();
        }
        return e.getResultCode().getName() + (message == null || message.isEmpty() ? "" : " (" + message + ")");
    }
}
