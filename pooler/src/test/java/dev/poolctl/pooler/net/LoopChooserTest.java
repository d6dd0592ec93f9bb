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
        LoopChooser factory = new LoopChooser(() -> -1);
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
    void withoutAFixedChoiceTheLoopOfTheLastLoginIsChosen() {
        EventExecutor[] loops = {loop(), loop()};
        int[] lastLogin = {-1};
        LoopChooser factory = new LoopChooser(() -> lastLogin[0]);
        EventExecutorChooser chooser = factory.newChooser(loops);
        assertSame(loops[0], chooser.next(), "no login yet: round robin");
        assertSame(loops[1], chooser.next());
        lastLogin[0] = 1;
        assertSame(loops[1], chooser.next(), "where the last client went, new ones likely go");
        assertSame(loops[1], chooser.next());
        lastLogin[0] = 0;
        assertSame(loops[0], chooser.next());
        factory.prefer(1);
        assertSame(loops[1], chooser.next(), "a fixed choice (one database) wins");
    }

    @Test
    void aSingleLoopIsAlwaysChosen() {
        EventExecutor only = ImmediateEventExecutor.INSTANCE;
        EventExecutorChooser chooser = new LoopChooser(() -> -1).newChooser(new EventExecutor[] {only});
        assertSame(only, chooser.next());
        assertSame(only, chooser.next());
    }
}
