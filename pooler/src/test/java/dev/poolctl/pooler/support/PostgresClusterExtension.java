package dev.poolctl.pooler.support;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * JUnit 5 extension that provides the shared {@link PostgresCluster}: started once per test JVM
 * (the first time any test class using the extension runs), kept in the root store, and closed
 * (server stopped, temp dir deleted) when the whole test run ends.
 *
 * <p>Ways to get it, after {@code @ExtendWith(PostgresClusterExtension.class)}:
 * <ul>
 *   <li>a {@code PostgresCluster} parameter of the test class constructor, a {@code @Test},
 *       {@code @BeforeAll}, {@code @BeforeEach}, ... method;</li>
 *   <li>a non-final field of type {@code PostgresCluster} (static or instance) that is still null:
 *       static fields are set before {@code @BeforeAll} methods run, instance fields right after
 *       the test instance is created.</li>
 * </ul>
 *
 * <pre>{@code
 * @ExtendWith(PostgresClusterExtension.class)
 * class MyIT {
 *     @Test
 *     void works(PostgresCluster pg) throws Exception {
 *         try (Connection c = pg.connect("testdb", "scram_user", "scram_pw")) { ... }
 *     }
 * }
 * }</pre>
 */
public final class PostgresClusterExtension implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {

    private static final String STORE_KEY = PostgresCluster.class.getName();

    /**
     * The shared cluster, started on first use. Usable from other extensions too. If start-up
     * fails, the failure is reported to every test that asks (JUnit memoizes it).
     */
    public static PostgresCluster cluster(ExtensionContext context) {
        // Root store, GLOBAL namespace: one instance for the whole JVM run. PostgresCluster is
        // AutoCloseable, which JUnit (5.13+) closes when the root context closes; its own JVM
        // shutdown hook is the fallback should that not happen.
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(STORE_KEY, key -> PostgresCluster.start(), PostgresCluster.class);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        PostgresCluster cluster = cluster(context);
        injectFields(context.getRequiredTestClass(), null, cluster);
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) throws Exception {
        injectFields(testInstance.getClass(), testInstance, cluster(context));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            return cluster(extensionContext);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("could not start the PostgreSQL test cluster: " + e.getMessage(), e);
        }
    }

    /** Sets null, non-final fields of type PostgresCluster: static ones if instance is null, else instance ones. */
    private static void injectFields(Class<?> type, Object instance, PostgresCluster cluster) throws IllegalAccessException {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (f.getType() != PostgresCluster.class || Modifier.isFinal(mod)
                        || Modifier.isStatic(mod) != (instance == null)) {
                    continue;
                }
                f.setAccessible(true);
                if (f.get(instance) == null) {
                    f.set(instance, cluster);
                }
            }
        }
    }
}
