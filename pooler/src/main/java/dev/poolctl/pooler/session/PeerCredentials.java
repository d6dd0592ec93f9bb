package dev.poolctl.pooler.session;

import io.netty.channel.Channel;
import dev.poolctl.pooler.net.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** SO_PEERCRED on unix sockets: is the peer process running as our own OS user? */
final class PeerCredentials {
    private PeerCredentials() {}

    private static final int OWN_UID = ownUid();

    private static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1; // unknown: nobody is trusted by uid
        }
    }

    static boolean sameUser(Channel channel) {
        if (OWN_UID < 0) {
            return false;
        }
        try {
            return Transport.peerUid(channel) == OWN_UID;
        } catch (IOException e) {
            return false;
        }
    }
}
