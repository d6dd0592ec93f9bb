package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.DatabaseConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostListTest {
    private static DatabaseConfig db(String connectString) {
        return PoolHarness.config("", "db = " + connectString).database("db").orElseThrow();
    }

    private static List<String> picks(HostList list, DatabaseConfig db, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(list.pick(db));
        }
        return out;
    }

    @Test
    void roundRobinTakesTheNextHostForEachConnection() {
        DatabaseConfig db = db("host=a,b,c");
        assertEquals(List.of("a", "b", "c", "a"), picks(new HostList(), db, 4));
    }

    @Test
    void disableKeepsTheHostUntilItFailsThenTakesTheNext() {
        DatabaseConfig db = db("host=a,b,c load_balance_hosts=disable");
        HostList list = new HostList();
        assertEquals(List.of("a", "a", "a"), picks(list, db, 3));
        assertTrue(list.failed(db, "a"), "b and c are left to try");
        assertEquals(List.of("b", "b"), picks(list, db, 2));
        assertNull(list.current(), "no login yet");
        list.succeeded("b", false);
        assertEquals("b", list.current(), "SHOW DATABASES current_host: the host of the last good login");
        assertTrue(list.failed(db, "a"), "a late failure of the old host does not move the list on");
        assertEquals("b", list.pick(db));
    }

    @Test
    void aRoundEndsWhenEveryHostFailedInARow() {
        DatabaseConfig db = db("host=a,b load_balance_hosts=disable");
        HostList list = new HostList();
        assertTrue(list.failed(db, "a"));
        assertFalse(list.failed(db, "b"), "both failed: the pool waits before the next round");
        assertEquals("a", list.pick(db), "the next round starts over");
        assertTrue(list.failed(db, "a"), "a new round: b is left again");
    }

    @Test
    void aSingleHostOrNoneHasNoOtherToTry() {
        HostList list = new HostList();
        assertFalse(list.failed(db("host=a"), "a"));
        DatabaseConfig socket = db("port=5432");
        assertNull(list.pick(socket), "no host: the unix socket in unix_socket_dir");
        assertFalse(list.failed(socket, null));
    }

    @Test
    void preferStandbyAcceptsAPrimaryOnceAWholeRoundFoundNoStandby() {
        DatabaseConfig db = db("host=a,b target_session_attrs=prefer-standby");
        HostList list = new HostList();
        assertFalse(list.noStandbyFound(db));
        list.primaryTurnedDown();
        assertFalse(list.noStandbyFound(db), "b may be the standby");
        list.primaryTurnedDown();
        assertTrue(list.noStandbyFound(db));
        list.succeeded("a", false);
        assertTrue(list.noStandbyFound(db), "still none: the next logins take a primary at once");
        list.succeeded("b", true);
        assertFalse(list.noStandbyFound(db), "a standby was found: primaries are turned down again");
    }
}
