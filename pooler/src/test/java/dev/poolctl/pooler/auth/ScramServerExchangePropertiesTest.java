package dev.poolctl.pooler.auth;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;

/**
 * The SCRAM message parsers fed hostile input: every malformed message ends in a {@link ScramException} (the
 * client is refused), never in another exception that would escape as a crash, and never in a login.
 */
class ScramServerExchangePropertiesTest {
    private static final ScramSecret SECRET = ScramSecret.fromPassword("pw", new byte[] {9, 9, 9, 9}, 16);

    @Property(tries = 3000)
    void anyClientFirstMessageIsAnsweredOrRefused(
            @ForAll @Chars({'n', 'y', 'p', 'r', 'm', 'a', '=', ',', 'x', '\u0001'}) @StringLength(max = 40) String clientFirst) {
        try {
            new ScramServerExchange(SECRET).serverFirst(clientFirst);
        } catch (ScramException expected) {
            // refused
        }
    }

    @Property(tries = 3000)
    void anyClientFinalMessageFailsWithoutTheProof(
            @ForAll @Chars({'c', 'r', 'p', '=', ',', 'b', 'i', 'w', 's', 'A', '/', '+'}) @StringLength(max = 80) String tail)
            throws ScramException {
        ScramServerExchange server = new ScramServerExchange(SECRET, "SERVERNONCE");
        server.serverFirst("n,,n=,r=CLIENT");
        try {
            server.serverFinal("c=biws,r=CLIENTSERVERNONCE," + tail);
            throw new AssertionError("a made-up proof logged in: " + tail);
        } catch (ScramException expected) {
            // refused
        }
    }
}
