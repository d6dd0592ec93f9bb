package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A welcome's ParameterStatus messages, encoded once (as PgBouncer keeps its welcome packet): each login copies the
 * stored bytes, and encodes a message only for a parameter the client asked its own value of.
 */
public final class ParameterStatusSet {
    private final String[] names;
    private final String[] lowerNames;
    private final byte[][] encoded;

    public ParameterStatusSet(Map<String, String> parameters) {
        int n = parameters.size();
        names = new String[n];
        lowerNames = new String[n];
        encoded = new byte[n][];
        int i = 0;
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            names[i] = p.getKey();
            lowerNames[i] = p.getKey().toLowerCase(Locale.ROOT);
            ByteBuf b = Unpooled.buffer();
            BackendMessages.writeParameterStatus(b, p.getKey(), p.getValue());
            encoded[i] = new byte[b.readableBytes()];
            b.readBytes(encoded[i]);
            i++;
        }
    }

    /** Writes every message; {@code wanted} maps a lower-case name to the client's own value, or null. */
    public void write(ByteBuf b, UnaryOperator<String> wanted) {
        for (int i = 0; i < names.length; i++) {
            String value = wanted.apply(lowerNames[i]);
            if (value == null) {
                b.writeBytes(encoded[i]);
            } else {
                BackendMessages.writeParameterStatus(b, names[i], value);
            }
        }
    }

    /** Whether the set reports this parameter (name as the server spelled it). */
    public boolean has(String name) {
        for (String n : names) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }
}
