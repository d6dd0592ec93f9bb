package dev.poolctl.pooler.support;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Any Netty leak report fails the build (STYLE B4; Netty's own build does the same). Registered for every test
 * class by JUnit's extension autodetection (META-INF/services and junit-platform.properties in this module's
 * test resources, which the test-jar carries to the cli and tui tests). The detector factory must be in place
 * before the first ByteBuf class loads, hence the static initializer: JUnit loads extensions before any test.
 *
 * <p>Netty finds a leak only when a leaked buffer has been garbage-collected and a later allocation polls the
 * reference queue; after each class this forces a few collections and allocations, then fails the class if
 * anything was reported since the last check (the leak may come from an earlier class in the same JVM; the
 * report's access records say where).
 */
public final class NettyLeaks implements AfterAllCallback {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                    long maxActive) {
                ResourceLeakDetector<T> detector = new ResourceLeakDetector<>(resource, samplingInterval);
                detector.setLeakListener((type, records) -> LEAKS.add(type + " leaked:\n" + records));
                return detector;
            }
        });
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        for (int round = 0; round < 3 && LEAKS.isEmpty(); round++) {
            System.gc();
            Thread.sleep(20); // the reference handler thread enqueues what the collection found
            for (int i = 0; i < 64; i++) {
                release(UnpooledByteBufAllocator.DEFAULT.buffer(16));
                release(PooledByteBufAllocator.DEFAULT.buffer(16));
            }
        }
        if (!LEAKS.isEmpty()) {
            List<String> found = new ArrayList<>(LEAKS);
            LEAKS.clear();
            throw new AssertionError(found.size() + " Netty leak report(s) by the end of "
                    + context.getDisplayName() + ":\n" + String.join("\n", found));
        }
    }

    private static void release(ByteBuf b) {
        b.release();
    }
}
