package dev.poolctl.pooler.admin;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBuf;

/** A client logged in to the console, as the console sees it: its rights and a way to answer it later. */
public interface ConsoleClient {
    /** admin_users (everything) rather than stats_users (SHOW only). */
    boolean isAdmin();

    boolean isOpen();

    ByteBufAllocator alloc();

    /** Sends an answer that was deferred (PAUSE, WAIT_CLOSE wait for the pools). */
    void send(ByteBuf answer);
}
