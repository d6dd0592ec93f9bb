package dev.poolctl.pooler.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A hostile "PostgreSQL" on loopback: each connection the pooler opens is handed to a script that reads the
 * startup packet and then answers whatever bytes the test wants (an ErrorResponse without SQLSTATE, a SCRAM
 * exchange with absurd attributes), as a compromised or buggy server could. Reads are bounded by a socket timeout.
 */
public final class FakeServer implements AutoCloseable {
    /** What the fake server does with one connection from the pooler. */
    @FunctionalInterface
    public interface Script {
        void run(Conversation c) throws IOException;
    }

    private final ServerSocket socket;
    private final Thread acceptor;
    private final List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());

    public FakeServer(Script script) throws IOException {
        socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.add(s);
                    Thread t = new Thread(() -> {
                        try (s) {
                            s.setSoTimeout(30_000);
                            script.run(new Conversation(s));
                        } catch (IOException ignored) {
                            // the pooler closed the connection: the script's story ends there
                        }
                    }, "fake-server-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "fake-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    /** One connection from the pooler, seen from the server's side. */
    public static final class Conversation {
        private final DataInputStream in;
        private final DataOutputStream out;

        Conversation(Socket s) throws IOException {
            in = new DataInputStream(s.getInputStream());
            out = new DataOutputStream(s.getOutputStream());
        }

        /**
         * Reads the StartupMessage (length-prefixed, no type byte) and returns its body. An SSLRequest before it
         * (server_tls_sslmode prefer, the default) is answered N, as by a PostgreSQL without ssl.
         */
        public byte[] readStartup() throws IOException {
            while (true) {
                byte[] body = readPacket();
                if (!isSslRequest(body)) {
                    return body;
                }
                out.writeByte('N');
                out.flush();
            }
        }

        /** Reads one untyped packet (SSLRequest, StartupMessage) and returns its body. */
        public byte[] readPacket() throws IOException {
            int length = in.readInt();
            byte[] body = new byte[length - 4];
            in.readFully(body);
            return body;
        }

        public static boolean isSslRequest(byte[] body) {
            return body.length == 4 && ByteBuffer.wrap(body).getInt() == 80877103;
        }

        /** Bytes as they are, in one write (e.g. an SSLRequest answer with data behind it). */
        public Conversation sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /** One simple Query's answer, given its SQL text. */
        @FunctionalInterface
        public interface QueryAnswer {
            void answer(String sql) throws IOException;
        }

        /** After the login: answers each simple Query until the pooler sends Terminate; other messages are read. */
        public void answerQueries(QueryAnswer answer) throws IOException {
            byte[][] body = new byte[1][];
            while (true) {
                char type = read(body);
                if (type == 'X') {
                    return;
                }
                if (type == 'Q') {
                    answer.answer(new String(body[0], 0, body[0].length - 1, StandardCharsets.UTF_8));
                }
            }
        }

        /** Reads one typed frontend message; returns its type, and its body in {@code body[0]}. */
        public char read(byte[][] body) throws IOException {
            char type = (char) in.readUnsignedByte();
            int length = in.readInt();
            byte[] b = new byte[length - 4];
            in.readFully(b);
            body[0] = b;
            return type;
        }

        public Conversation send(char type, byte[] body) throws IOException {
            out.writeByte(type);
            out.writeInt(body.length + 4);
            out.write(body);
            out.flush();
            return this;
        }

        /** An Authentication message: code, then {@code data}. */
        public Conversation auth(int code, byte[] data) throws IOException {
            return send('R', ByteBuffer.allocate(4 + data.length).putInt(code).put(data).array());
        }

        /** AuthenticationOk, BackendKeyData and ReadyForQuery: a logged-in server. */
        public Conversation welcome() throws IOException {
            auth(0, new byte[0]);
            send('S', cstrings("client_encoding", "UTF8"));
            send('S', cstrings("server_version", "15.0"));
            send('K', ByteBuffer.allocate(8).putInt(4242).putInt(1234).array());
            return readyForQuery();
        }

        public Conversation readyForQuery() throws IOException {
            return send('Z', new byte[] {'I'});
        }

        /** ErrorResponse / NoticeResponse body from code-value pairs ({@code 'S', "FATAL", 'M', "..."}). */
        public static byte[] fields(Object... codeValue) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < codeValue.length; i += 2) {
                b.write((Character) codeValue[i]);
                b.writeBytes(((String) codeValue[i + 1]).getBytes(StandardCharsets.UTF_8));
                b.write(0);
            }
            b.write(0);
            return b.toByteArray();
        }

        public static byte[] cstrings(String... values) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (String v : values) {
                b.writeBytes(v.getBytes(StandardCharsets.UTF_8));
                b.write(0);
            }
            return b.toByteArray();
        }
    }
}
