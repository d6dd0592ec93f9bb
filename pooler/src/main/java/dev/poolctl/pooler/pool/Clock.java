package dev.poolctl.pooler.pool;

/** Where pools read the time: the system's monotonic clock, or a hand-moved one in unit tests. */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = System::nanoTime;

    long nanoTime();
}
