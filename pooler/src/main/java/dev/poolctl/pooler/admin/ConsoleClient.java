package dev.poolctl.pooler.admin;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBuf;

/** A client logged in to the console, as the console sees it: its rights and a way to answer it later. */
public interface ConsoleClient {
    /** admin_users (everything) rather than stats_users (SHOW only). */
    boolean isAdmin();

    boolean isOpen();

    ByteBufAllocator alloc();

    /**
     * Sends an answer that was deferred (PAUSE, WAIT_CLOSE wait for the pools; SHOW waits for the other event
     * loops); the client's next query is read only after it. Called on the client's loop.
     */
    void send(ByteBuf answer);

    /** Runs {@code task} on the client's event loop (deferred answers are built and sent there). */
    void execute(Runnable task);
}
