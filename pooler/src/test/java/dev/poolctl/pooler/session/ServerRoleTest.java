package dev.poolctl.pooler.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.TargetSessionAttrs;
import org.junit.jupiter.api.Test;

class ServerRoleTest {
    @Test
    void postgres14ReportsTheRoleAtLoginSoNoQueryIsNeeded() {
        ServerRole role = new ServerRole(TargetSessionAttrs.READ_WRITE);
        assertFalse(role.parameter("in_hot_standby", "off"));
        assertFalse(role.parameter("default_transaction_read_only", "off"));
        assertFalse(role.needsQuery());
        assertNull(role.mismatch(false));
        assertFalse(role.isStandby());
    }

    @Test
    void olderServersAreAskedOnce() {
        ServerRole role = new ServerRole(TargetSessionAttrs.STANDBY);
        assertTrue(role.needsQuery());
        assertFalse(role.needsQuery(), "asked once: a failed query does not loop");
        role.answer(new String[] {"t", "on"});
        assertNull(role.mismatch(false));
        assertTrue(role.isStandby());
        assertFalse(new ServerRole(TargetSessionAttrs.ANY).needsQuery(), "any: nothing to ask");
    }

    @Test
    void aPromotionSeenWhileConnectedRetiresAServerOfTheWrongRole() {
        ServerRole standby = new ServerRole(TargetSessionAttrs.STANDBY);
        standby.parameter("in_hot_standby", "on");
        assertTrue(standby.parameter("in_hot_standby", "off"), "promoted: no longer a standby");
        ServerRole readWrite = new ServerRole(TargetSessionAttrs.READ_WRITE);
        readWrite.parameter("in_hot_standby", "off");
        assertTrue(readWrite.parameter("default_transaction_read_only", "on"), "made read-only");
        ServerRole prefer = new ServerRole(TargetSessionAttrs.PREFER_STANDBY);
        prefer.parameter("in_hot_standby", "on");
        assertFalse(prefer.parameter("in_hot_standby", "off"), "prefer-standby keeps what it has");
        assertFalse(readWrite.parameter("application_name", "x"), "other parameters are not about the role");
        assertEquals("server is read-only, not read-write (target_session_attrs)", readWrite.mismatch(false));
    }
}
