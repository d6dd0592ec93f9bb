package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;

/** SHOW HELP: PgBouncer's NOTICE "Console usage" with the command list as its DETAIL, and poolctl's commands. */
final class ConsoleHelp {
    private ConsoleHelp() {}

    static void write(ByteBuf out) {
        int start = out.writerIndex();
        out.writeByte(PgProtocol.NOTICE_RESPONSE).writeInt(0);
        cstring(out, "SNOTICE");
        cstring(out, "C00000");
        cstring(out, "MConsole usage");
        cstring(out, "D\n\tSHOW HELP|CONFIG|DATABASES|POOLS|CLIENTS|SERVERS|USERS|VERSION\n"
                + "\tSHOW PEERS|PEER_POOLS\n"
                + "\tSHOW FDS|SOCKETS|ACTIVE_SOCKETS|LISTS|MEM|STATE\n"
                + "\tSHOW DNS_HOSTS|DNS_ZONES\n"
                + "\tSHOW STATS|STATS_TOTALS|STATS_AVERAGES|TOTALS\n"
                + "\tSHOW HAZARDS|HISTOGRAMS|LOGINS|WAITS\n"
                + "\tSET key = arg\n\tRELOAD\n\tPAUSE [<db>]\n\tRESUME [<db>]\n\tDISABLE <db>\n\tENABLE <db>\n"
                + "\tRECONNECT [<db>]\n\tKILL [<db>]\n\tKILL_CLIENT <client_id>\n\tSUSPEND\n\tSHUTDOWN\n"
                + "\tSHUTDOWN WAIT_FOR_SERVERS|WAIT_FOR_CLIENTS\n\tWAIT_CLOSE [<db>]\n\tDRAIN [<seconds>]");
        out.writeByte(0);
        out.setInt(start + 1, out.writerIndex() - start - 1);
        ResultSetWriter.complete(out, "SHOW");
    }

    private static void cstring(ByteBuf out, String s) {
        out.writeCharSequence(s, java.nio.charset.StandardCharsets.UTF_8);
        out.writeByte(0);
    }
}
