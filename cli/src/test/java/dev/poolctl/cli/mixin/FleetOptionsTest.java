package dev.poolctl.cli.mixin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetOptionsTest {
    private static FleetOptions.Instance parse(String s) throws AdminConnectionOptions.OptionsException {
        return FleetOptions.parse(s, "--target");
    }

    @Test
    void hostPortV6AndSocketDirectories() throws Exception {
        assertEquals(new FleetOptions.Instance("10.0.0.1", 6432), parse("10.0.0.1:6432"));
        assertEquals(new FleetOptions.Instance("::1", 6433), parse("[::1]:6433"));
        assertEquals("[::1]:6433", parse("[::1]:6433").toString());
        assertEquals(new FleetOptions.Instance("/var/run/postgresql", 6432), parse("/var/run/postgresql:6432"));
        for (String bad : List.of("host", "host:", ":6432", "host:0", "host:70000", "host:x", "a b:6432")) {
            String message = assertThrows(AdminConnectionOptions.OptionsException.class, () -> parse(bad)).getMessage();
            assertTrue(message.contains("is not HOST:PORT"), message);
        }
    }

    @Test
    void aTargetsFileWithCommentsAndRepeatsGivesEachOnceInOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fleet.txt");
        Files.writeString(file, "# the two poolers behind haproxy\n10.0.0.1:6432\n\n10.0.0.2:6432   # second\n"
                + "10.0.0.1:6432\n");
        FleetOptions f = new FleetOptions();
        f.targets = List.of("10.0.0.3:6432");
        f.targetsFile = file;
        assertEquals(List.of(new FleetOptions.Instance("10.0.0.3", 6432), new FleetOptions.Instance("10.0.0.1", 6432),
                new FleetOptions.Instance("10.0.0.2", 6432)), f.instances(null, null));
        Files.writeString(file, "10.0.0.1:6432\nnot an address\n");
        String message = assertThrows(AdminConnectionOptions.OptionsException.class,
                () -> f.instances(null, null)).getMessage();
        assertTrue(message.startsWith(file + " line 2: 'not an address'"), message);
    }

    @Test
    void peersNeedsAConfig() {
        FleetOptions f = new FleetOptions();
        f.peers = true;
        String message = assertThrows(AdminConnectionOptions.OptionsException.class,
                () -> f.instances(null, null)).getMessage();
        assertTrue(message.startsWith("--peers needs -c FILE"), message);
    }
}
