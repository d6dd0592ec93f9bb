package dev.poolctl.pooler.net;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory.EventExecutorChooser;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

class LoopChooserTest {
    private static EventExecutor loop() {
        // distinct instances: only identity matters to the chooser
        return (EventExecutor) Proxy.newProxyInstance(LoopChooserTest.class.getClassLoader(),
                new Class<?>[] {EventExecutor.class}, (p, m, a) -> m.getName().equals("equals") ? p == a[0]
                        : m.getName().equals("hashCode") ? System.identityHashCode(p) : null);
    }

    @Test
    void roundRobinUntilALoopIsPreferredThenThatLoopUntilTheChoiceIsWithdrawn() {
        EventExecutor[] loops = {loop(), loop(), loop()};
        LoopChooser factory = new LoopChooser();
        EventExecutorChooser chooser = factory.newChooser(loops);
        assertSame(loops[0], chooser.next());
        assertSame(loops[1], chooser.next());
        assertSame(loops[2], chooser.next());
        assertSame(loops[0], chooser.next());

        factory.prefer(2); // one database: every new connection goes where its pool is
        for (int i = 0; i < 5; i++) {
            assertSame(loops[2], chooser.next());
        }
        factory.prefer(7); // not a loop (a stale index): round robin rather than a failure
        assertSame(loops[1], chooser.next());
        factory.prefer(-1);
        assertSame(loops[2], chooser.next());
    }

    @Test
    void aSingleLoopIsAlwaysChosen() {
        EventExecutor only = ImmediateEventExecutor.INSTANCE;
        EventExecutorChooser chooser = new LoopChooser().newChooser(new EventExecutor[] {only});
        assertSame(only, chooser.next());
        assertSame(only, chooser.next());
    }
}
