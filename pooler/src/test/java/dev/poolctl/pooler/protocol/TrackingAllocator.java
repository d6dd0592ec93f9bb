package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap allocator that remembers every buffer it hands out, so a test can assert that all of them (and every slice
 * of them, which shares the reference count) were released. Buffers are still wrapped for Netty's leak detector.
 */
final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        allocated.add(buf);
        return toLeakAwareBuffer(buf);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** A tracked buffer holding {@code bytes}. */
    ByteBuf wrap(byte[] bytes) {
        return heapBuffer(bytes.length).writeBytes(bytes);
    }

    int allocations() {
        return allocated.size();
    }

    void assertAllReleased() {
        for (int i = 0; i < allocated.size(); i++) {
            ByteBuf b = allocated.get(i);
            if (b.refCnt() != 0) {
                fail("buffer #" + i + " of " + allocated.size() + " not released (refCnt " + b.refCnt() + ")");
            }
        }
    }
}
