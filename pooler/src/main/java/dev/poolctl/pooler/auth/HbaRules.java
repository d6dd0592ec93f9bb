package dev.poolctl.pooler.auth;

import dev.poolctl.pooler.config.LdapOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * PgBouncer's {@code auth_hba_file}: the subset of pg_hba.conf it reads (hba.c). Record types local, host, hostssl
 * and hostnossl; database and user lists with {@code all}, {@code sameuser}, {@code replication}, quoted names and
 * {@code @file} includes; IPv4 and IPv6 addresses with a prefix length or a mask, or {@code all}; the methods
 * trust, reject, md5, password, scram-sha-256, peer, cert and ldap (the rest of the line is its options); an
 * optional {@code map=} naming an {@code auth_ident_file} map. As PgBouncer, a line it cannot parse is skipped
 * with a warning and the rest is read; the first matching rule decides. Immutable; built off the event loops.
 */
public final class HbaRules {
    public enum Type { LOCAL, HOST, HOSTSSL, HOSTNOSSL }

    /** A rule's auth-method field. */
    public enum Method { TRUST, REJECT, MD5, PASSWORD, SCRAM_SHA_256, PEER, CERT, LDAP }

    /** A database or user field: the keywords, then any literal names. */
    record Names(boolean all, boolean sameUser, boolean replication, Set<String> names) {
        boolean matches(String name, String pair) {
            return all || (sameUser && name.equals(pair)) || names.contains(name);
        }
    }

    /**
     * A matching rule: its method, its ident map (or null), an ldap rule's options (null for another method, and for
     * options that cannot be read: logins it matches then fail, as in PgBouncer) and its line number for the log.
     */
    public record Rule(Type type, Names databases, Names users, byte[] address, byte[] mask, Method method,
                       IdentMaps.Map identMap, LdapOptions ldap, int line) {}

    /** Longest file read (a pg_hba.conf is a few KB); more is a misconfiguration, not something to parse. */
    static final long MAX_FILE_BYTES = 4L << 20;
    /** Deepest @file include: PgBouncer follows includes without a limit, so a file that includes itself loops. */
    static final int MAX_INCLUDE_DEPTH = 10;

    private final List<Rule> rules;

    private HbaRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static final HbaRules NONE = new HbaRules(List.of());

    /**
     * Reads the file; an unreadable file gives no rules (every login is then refused, as in PgBouncer) and a
     * warning. {@code warnings} receives one line per problem, naming the file and line.
     */
    public static HbaRules load(Path file, IdentMaps idents, List<String> warnings) {
        List<String> lines;
        try {
            lines = readLines(file);
        } catch (IOException e) {
            warnings.add("could not open hba config file " + file + ": " + e.getMessage());
            return NONE;
        }
        return parse(lines, file, idents, warnings);
    }

    static HbaRules parse(List<String> lines, Path file, IdentMaps idents, List<String> warnings) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            try {
                Rule r = parseLine(new HbaTokens(lines.get(i)), i + 1, file, idents, warnings);
                if (r != null) {
                    rules.add(r);
                }
            } catch (IllegalArgumentException e) {
                warnings.add(file + ": hba line " + (i + 1) + ": " + e.getMessage() + "; line skipped");
            }
        }
        return new HbaRules(rules);
    }

    public List<Rule> rules() {
        return rules;
    }

    /**
     * The first rule for this connection, or null (PgBouncer: "no authentication method is found").
     *
     * @param remote the client's address, or null for a unix-socket client
     */
    public Rule match(InetAddress remote, boolean tls, boolean physicalReplication, String database, String user) {
        for (Rule r : rules) {
            if (remote == null) {
                if (r.type != Type.LOCAL) {
                    continue;
                }
            } else if (r.type == Type.LOCAL || (r.type == Type.HOSTSSL && !tls) || (r.type == Type.HOSTNOSSL && tls)
                    || !addressMatches(r, remote)) {
                continue;
            }
            if (physicalReplication ? !r.databases.replication() : !r.databases.matches(database, user)) {
                continue;
            }
            if (r.users.matches(user, database)) {
                return r;
            }
        }
        return null;
    }

    private static boolean addressMatches(Rule r, InetAddress remote) {
        if (r.address == null) {
            return true; // all
        }
        byte[] a = remote.getAddress();
        if (a.length != r.address.length) {
            return false; // another family
        }
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & r.mask[i]) != r.address[i]) {
                return false;
            }
        }
        return true;
    }

    // ---- parsing (hba.c's parse_line) ----

    private static Rule parseLine(HbaTokens t, int line, Path file, IdentMaps idents, List<String> warnings) {
        if (t.atEnd()) {
            return null;
        }
        Type type = switch (t.keyword()) {
            case "local" -> Type.LOCAL;
            case "host" -> Type.HOST;
            case "hostssl" -> Type.HOSTSSL;
            case "hostnossl" -> Type.HOSTNOSSL;
            default -> throw new IllegalArgumentException("unknown type");
        };
        t.next();
        Names databases = names(t, file, 0);
        Names users = names(t, file, 0);
        byte[] address = null;
        byte[] mask = null;
        if (type != Type.LOCAL) {
            if ("all".equals(t.keyword())) {
                t.next();
            } else {
                String a = t.keyword();
                if (a == null) {
                    throw new IllegalArgumentException("did not find address");
                }
                t.next();
                int slash = a.indexOf('/');
                address = parseAddress(slash < 0 ? a : a.substring(0, slash));
                if (slash >= 0) {
                    mask = prefixMask(a.substring(slash + 1), address.length);
                } else {
                    String m = t.keyword();
                    if (m == null) {
                        throw new IllegalArgumentException("did not find mask");
                    }
                    t.next();
                    mask = parseAddress(m);
                    if (mask.length != address.length) {
                        throw new IllegalArgumentException("failed to parse mask: " + m);
                    }
                }
                for (int i = 0; i < address.length; i++) {
                    address[i] &= mask[i]; // PgBouncer warns about host bits; matching ignores them either way
                }
            }
        }
        String m = t.keyword();
        Method method = m == null ? null : switch (m) {
            case "trust" -> Method.TRUST;
            case "reject" -> Method.REJECT;
            case "md5" -> Method.MD5;
            case "password" -> Method.PASSWORD;
            case "scram-sha-256" -> Method.SCRAM_SHA_256;
            case "peer" -> Method.PEER;
            case "cert" -> Method.CERT;
            case "ldap" -> Method.LDAP;
            default -> null;
        };
        if (method == null) {
            throw new IllegalArgumentException("unsupported method: " + (m == null ? "(none)" : m));
        }
        LdapOptions ldap = null;
        if (method == Method.LDAP) {
            String options = t.takeRest();
            try {
                ldap = LdapOptions.parse(options);
            } catch (IllegalArgumentException e) {
                // Kept, so that the logins it matches fail rather than fall through to a later, weaker rule.
                warnings.add(file + ": hba line " + line + ": " + e.getMessage() + "; LDAP logins by this line fail");
            }
        } else {
            t.next();
        }
        IdentMaps.Map map = null;
        String option = t.keyword();
        if (option != null) {
            if (!option.startsWith("map=")) {
                throw new IllegalArgumentException("Ident map " + option + " is malformed. It is not in map=value format.");
            }
            map = idents.map(option.substring(4));
            if (map == null) {
                throw new IllegalArgumentException("Ident map " + option.substring(4) + " is not found in ident config file");
            }
            t.next();
        }
        if (!t.atEnd()) {
            throw new IllegalArgumentException("unsupported parameters");
        }
        return new Rule(type, databases, users, address, mask, method, map, ldap, line);
    }

    /** A comma-separated name list (hba.c's parse_names; PgBouncer reads the user field with the same keywords). */
    private static Names names(HbaTokens t, Path file, int depth) {
        boolean[] flags = new boolean[3];
        Set<String> names = new HashSet<>();
        addNames(t, file, depth, flags, names);
        return new Names(flags[0], flags[1], flags[2], Set.copyOf(names));
    }

    private static void addNames(HbaTokens t, Path file, int depth, boolean[] flags, Set<String> names) {
        while (true) {
            String kw = t.keyword();
            if ("all".equals(kw)) {
                flags[0] = true;
            } else if ("sameuser".equals(kw)) {
                flags[1] = true;
            } else if ("replication".equals(kw)) {
                flags[2] = true;
            } else if ("samerole".equals(kw) || "samegroup".equals(kw)) {
                throw new IllegalArgumentException(kw + " is not supported");
            } else if (kw != null && kw.startsWith("+")) {
                throw new IllegalArgumentException("+groupname is not supported: " + kw);
            } else if (kw != null && kw.startsWith("@")) {
                include(file, kw.substring(1), depth, flags, names);
            } else {
                String name = t.name();
                if (name == null) {
                    throw new IllegalArgumentException("expected a name");
                }
                names.add(name);
            }
            t.next();
            if (!t.comma()) {
                return;
            }
        }
    }

    /** {@code @file}: names on any number of lines, relative to the including file's directory. */
    private static void include(Path from, String name, int depth, boolean[] flags, Set<String> names) {
        if (depth >= MAX_INCLUDE_DEPTH) {
            throw new IllegalArgumentException("@" + name + ": includes nested deeper than " + MAX_INCLUDE_DEPTH);
        }
        Path p = Path.of(name);
        if (!p.isAbsolute() && from.getParent() != null) {
            p = from.getParent().resolve(p);
        }
        List<String> lines;
        try {
            lines = readLines(p);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read @" + name + ": " + e.getMessage());
        }
        for (String l : lines) {
            HbaTokens t = new HbaTokens(l);
            if (!t.atEnd()) {
                addNames(t, p, depth + 1, flags, names);
            }
        }
    }

    /** A literal address as inet_pton reads it; never a host name (PgBouncer takes none, and no lookup may run). */
    private static byte[] parseAddress(String s) {
        if (s.indexOf(':') >= 0) {
            try {
                return InetAddress.getByName(s).getAddress(); // with a ':' the JDK parses IPv6 and never resolves
            } catch (UnknownHostException | SecurityException e) {
                throw new IllegalArgumentException("failed to parse address - " + s);
            }
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("failed to parse address - " + s);
        }
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > 255) {
                throw new IllegalArgumentException("failed to parse address - " + s);
            }
            a[i] = (byte) Integer.parseInt(p);
        }
        return a;
    }

    private static byte[] prefixMask(String bits, int length) {
        int n;
        try {
            n = Integer.parseInt(bits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid mask");
        }
        if (n < 0 || n > length * 8) {
            throw new IllegalArgumentException("invalid mask");
        }
        byte[] mask = new byte[length];
        for (int i = 0; i < n / 8; i++) {
            mask[i] = (byte) 0xff;
        }
        if (n % 8 != 0) {
            mask[n / 8] = (byte) (0xff << (8 - n % 8));
        }
        return mask;
    }

    static List<String> readLines(Path p) throws IOException {
        if (Files.size(p) > MAX_FILE_BYTES) {
            throw new IOException("larger than " + (MAX_FILE_BYTES >> 20) + " MB");
        }
        return Files.readAllLines(p, StandardCharsets.UTF_8);
    }
}
