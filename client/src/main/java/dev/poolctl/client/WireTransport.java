package dev.poolctl.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** A blocking byte stream to the pooler: TCP, or a unix socket; reads time out after {@link #readTimeout}. */
abstract class WireTransport implements AutoCloseable {
    /** 0 = wait forever. */
    abstract void readTimeout(int millis) throws IOException;

    /** Fills {@code b} completely, or throws EOFException when the pooler closes the connection. */
    abstract void readFully(byte[] b) throws IOException;

    abstract void write(byte[] b) throws IOException;

    @Override
    public abstract void close();

    static WireTransport tcp(String host, int port, int connectTimeoutMillis) throws ConnectFailedException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
            return new Tcp(s);
        } catch (IOException e) {
            closeQuietly(s);
            String why = e instanceof SocketTimeoutException ? "timed out" : e.getMessage();
            throw new ConnectFailedException("cannot connect to " + host + ":" + port + ": " + why, e);
        }
    }

    static WireTransport unix(Path socket) throws ConnectFailedException {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new Unix(ch);
        } catch (IOException | UnsupportedOperationException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
            throw new ConnectFailedException("cannot connect to " + socket + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    private static final class Tcp extends WireTransport {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Tcp(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        @Override
        void readTimeout(int millis) throws IOException {
            socket.setSoTimeout(millis);
        }

        @Override
        void readFully(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) {
                    throw new EOFException("the pooler closed the connection");
                }
                off += n;
            }
        }

        @Override
        void write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        @Override
        public void close() {
            closeQuietly(socket);
        }
    }

    /** Non-blocking channel driven by a selector, since a unix SocketChannel has no SO_TIMEOUT. */
    private static final class Unix extends WireTransport {
        private final SocketChannel channel;
        private final Selector selector;
        private int timeoutMillis;

        Unix(SocketChannel channel) throws IOException {
            this.channel = channel;
            channel.configureBlocking(false);
            this.selector = Selector.open();
        }

        @Override
        void readTimeout(int millis) {
            this.timeoutMillis = millis;
        }

        @Override
        void readFully(byte[] b) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                int n = channel.read(buf);
                if (n < 0) {
                    throw new EOFException("the pooler closed the connection");
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ, timeoutMillis);
                }
            }
        }

        @Override
        void write(byte[] b) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                if (channel.write(buf) == 0) {
                    await(SelectionKey.OP_WRITE, 0);
                }
            }
        }

        private void await(int op, int millis) throws IOException {
            SelectionKey key = channel.register(selector, op);
            try {
                if (selector.select(millis) == 0) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                    if (millis > 0) {
                        throw new SocketTimeoutException("Read timed out");
                    }
                }
                selector.selectedKeys().clear();
            } finally {
                key.interestOps(0);
            }
        }

        @Override
        public void close() {
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
