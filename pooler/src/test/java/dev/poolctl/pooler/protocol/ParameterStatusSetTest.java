package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParameterStatusSetTest {
    private static Map<String, String> welcome() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("server_version", "15.18");
        m.put("DateStyle", "ISO, MDY");
        m.put("application_name", "");
        return m;
    }

    private static String expected(Map<String, String> m) {
        ByteBuf b = Unpooled.buffer();
        m.forEach((k, v) -> BackendMessages.writeParameterStatus(b, k, v));
        return ByteBufUtil.hexDump(b);
    }

    @Test
    void writesTheStoredMessagesInOrderWhenTheClientWantsNothingOfItsOwn() {
        ByteBuf b = Unpooled.buffer();
        new ParameterStatusSet(welcome()).write(b, name -> null);
        assertEquals(expected(welcome()), ByteBufUtil.hexDump(b));
    }

    @Test
    void encodesTheClientsOwnValueLookedUpByLowerCaseName() {
        Map<String, String> own = Map.of("datestyle", "German", "application_name", "pgbench");
        ByteBuf b = Unpooled.buffer();
        new ParameterStatusSet(welcome()).write(b, own::get);
        Map<String, String> want = welcome();
        want.put("DateStyle", "German"); // the server's spelling of the name is kept
        want.put("application_name", "pgbench");
        assertEquals(expected(want), ByteBufUtil.hexDump(b));
    }

    @Test
    void knowsWhichParametersItReports() {
        ParameterStatusSet s = new ParameterStatusSet(welcome());
        assertTrue(s.has("DateStyle"));
        assertFalse(s.has("TimeZone"));
    }
}
