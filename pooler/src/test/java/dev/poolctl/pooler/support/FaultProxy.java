package dev.poolctl.pooler.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy that puts network faults between the pooler and PostgreSQL (the vert.x ProxyServer idea, PgBouncer's
 * {@code drop_traffic} and {@code add_latency} in test/utils.py). It listens on 127.0.0.1 on a free port and forwards
 * each connection to the target with blocking sockets, one thread per direction. The fault can be changed at any
 * time and applies to the open connections as well as to new ones.
 */
public final class FaultProxy implements AutoCloseable {
    private static final int UPSTREAM_CONNECT_MILLIS = 2_000;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    /** A held connection re-checks the fault this often even if nobody wakes it (a missed notify cannot hang it). */
    private static final long RECHECK_MILLIS = 100;

    public enum Fault {
        /** Forward as is. */
        PASS,
        /** Forward each chunk read {@link #delay(Duration) the delay} after it was read. */
        DELAY,
        /** Accept new connections and close them at once; open connections keep forwarding. */
        DROP,
        /**
         * Read and discard, never answer, on open and new connections. A connection that lost bytes has a hole in
         * its stream, so it never forwards again, even after PASS: only new connections recover.
         */
        BLACKHOLE,
        /** Reset (RST, SO_LINGER 0) every open connection when set, and every new one as it is accepted. */
        RESET,
        /**
         * Read nothing and send nothing, keeping the sockets open: a peer gone silent behind a firewall. Clearing the
         * fault resumes forwarding where it stopped, as TCP delivers late once a partition heals.
         */
        HALF_OPEN
    }

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final Object lock = new Object();
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    // Guarded by lock; volatile so that the acceptor may read them without it.
    private volatile Fault fault = Fault.PASS;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean closed;

    /** Starts forwarding 127.0.0.1:{@link #port()} to {@code host}:{@code port}. */
    public FaultProxy(String host, int port) {
        this.target = new InetSocketAddress(host, port);
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("fault proxy could not listen", e);
        }
        acceptor = new Thread(this::acceptLoop, "fault-proxy-" + port() + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() { return listener.getLocalPort(); }
    /** Connections accepted so far, whatever the fault did with them. */
    public int acceptedCount() { return accepted.get(); }
    /** Connections currently forwarded (or held) to the target. */
    public int openCount() { return links.size(); }

    /** Sets {@code next} for new and open connections; RESET resets the open ones now. */
    public void set(Fault next) {
        synchronized (lock) {
            fault = next;
            if (next == Fault.RESET) {
                links.forEach(l -> l.close(true));
            }
            lock.notifyAll(); // held chunks look at the new fault
        }
    }

    /** DELAY by {@code perChunk}. */
    public void delay(Duration perChunk) {
        synchronized (lock) {
            delay = perChunk;
            set(Fault.DELAY);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // the listener was closed
            }
            int id = accepted.incrementAndGet();
            Fault now = fault;
            if (now == Fault.DROP || now == Fault.RESET) {
                closeQuietly(client, now == Fault.RESET);
                continue;
            }
            Socket server = new Socket();
            try {
                server.connect(target, UPSTREAM_CONNECT_MILLIS);
            } catch (IOException e) {
                closeQuietly(server, false);
                closeQuietly(client, true); // the target is down: the client sees a reset, as from a refused connect
                continue;
            }
            Link link = new Link(id, client, server);
            synchronized (lock) {
                // set(RESET) or close() may have run while we connected: this link did not exist for them.
                if (closed || fault == Fault.RESET) {
                    link.close(true);
                    continue;
                }
                links.add(link);
            }
            startPump(link, client, server, "up");
            startPump(link, server, client, "down");
        }
    }

    private void startPump(Link link, Socket from, Socket to, String direction) {
        Thread t = new Thread(() -> pump(link, from, to), "fault-proxy-" + port() + "-" + link.id + "-" + direction);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Copies {@code from} to {@code to} chunk by chunk, as the fault allows; either side ending ends the link. */
    private void pump(Link link, Socket from, Socket to) {
        byte[] chunk = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(chunk)) >= 0; ) {
                if (mayForward(link)) {
                    out.write(chunk, 0, n);
                }
            }
        } catch (IOException e) {
            // reset, or closed by set(RESET) or close(): the link ends
        } finally {
            link.close(false);
            threads.remove(Thread.currentThread());
        }
    }

    /** Called with a chunk just read: waits while the fault holds it; false: discard it. */
    private boolean mayForward(Link link) throws IOException {
        long readAt = System.nanoTime();
        synchronized (lock) {
            while (true) {
                if (closed || link.closed) {
                    throw new SocketException("link closed");
                }
                if (link.blackholed) {
                    return false;
                }
                switch (fault) {
                    case PASS, DROP -> {
                        return true;
                    }
                    case BLACKHOLE -> {
                        link.blackholed = true;
                        return false;
                    }
                    case DELAY -> {
                        long left = readAt + delay.toNanos() - System.nanoTime();
                        if (left <= 0) {
                            return true;
                        }
                        waitOnLock(Math.max(1, left / 1_000_000));
                    }
                    case HALF_OPEN -> waitOnLock(RECHECK_MILLIS);
                    case RESET -> throw new SocketException("link reset"); // set(RESET) closed it
                }
            }
        }
    }

    private void waitOnLock(long millis) throws InterruptedIOException {
        try {
            lock.wait(Math.min(millis, RECHECK_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("fault proxy interrupted");
        }
    }

    /** Closes the listener and every connection, and joins the threads. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        List<Thread> all = new ArrayList<>(List.of(acceptor));
        try {
            acceptor.join(JOIN_TIMEOUT.toMillis()); // first: it starts no pump thread after this
            links.forEach(l -> l.close(false));
            all.addAll(threads);
            for (Thread t : all) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> alive = all.stream().filter(Thread::isAlive).map(Thread::getName).toList();
        if (!alive.isEmpty()) {
            throw new IllegalStateException("fault proxy threads still running after " + JOIN_TIMEOUT + ": " + alive);
        }
    }

    private static void closeQuietly(Socket s, boolean reset) {
        try {
            if (reset) {
                s.setSoLinger(true, 0); // close sends RST instead of FIN
            }
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** One proxied connection: the client's socket and ours to the target. */
    private final class Link {
        final int id;
        final Socket client;
        final Socket server;
        volatile boolean blackholed;
        volatile boolean closed;

        Link(int id, Socket client, Socket server) {
            this.id = id;
            this.client = client;
            this.server = server;
        }

        /** Synchronized: the pump that notices a reset first must not close the other socket with a FIN. */
        synchronized void close(boolean reset) {
            if (!closed) {
                closed = true;
                links.remove(this);
                closeQuietly(client, reset);
                closeQuietly(server, reset);
            }
        }
    }
}
