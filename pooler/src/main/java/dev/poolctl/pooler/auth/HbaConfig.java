package dev.poolctl.pooler.auth;

import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** What auth_type = hba decides with: the rules and, for peer rules, the OS user names. Immutable. */
public record HbaConfig(HbaRules rules, OsUsers osUsers) {
    public static final HbaConfig NONE = new HbaConfig(HbaRules.NONE, OsUsers.NONE);

    /**
     * auth_hba_file and auth_ident_file when auth_type = hba (else none), read on the calling thread (never a loop).
     * As PgBouncer, unreadable files and lines it cannot parse are warnings: the rules read apply, and a login that
     * no rule matches is refused.
     *
     * @param resolve a file setting's value to the path the daemon reads (relative to the config file's directory)
     */
    public static HbaConfig load(GeneralSettings g, Function<String, Path> resolve, List<String> warnings) {
        if (g.authType() != AuthType.HBA) {
            return NONE;
        }
        Path identFile = resolve.apply(g.raw(Setting.AUTH_IDENT_FILE));
        IdentMaps idents = identFile == null ? IdentMaps.NONE : IdentMaps.load(identFile, warnings);
        Path hbaFile = resolve.apply(g.raw(Setting.AUTH_HBA_FILE));
        if (hbaFile == null) {
            warnings.add("auth_type = hba but auth_hba_file is not set: every login is refused");
            return NONE;
        }
        HbaRules rules = HbaRules.load(hbaFile, idents, warnings);
        boolean peer = rules.rules().stream().anyMatch(r -> r.method() == HbaRules.Method.PEER);
        return new HbaConfig(rules, peer ? OsUsers.read(Path.of("/etc/passwd"), warnings) : OsUsers.NONE);
    }
}
