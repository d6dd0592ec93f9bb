package dev.poolctl.pooler.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The pooler's own process: the {@code pgbouncer_process_*} metrics that pgbouncer_exporter gives with
 * {@code --pgBouncer.pid-file} (Prometheus's standard process metrics, read from {@code /proc} as Go's client
 * reads them), and the JVM's heap, Netty's buffer memory and GC time, which a JVM pooler adds to what can go wrong.
 * Off Linux the {@code /proc} ones are left out. A read costs a few small procfs reads and a listing of
 * {@code /proc/self/fd} (one entry per socket), no disk.
 */
final class ProcessMetrics {
    static final String PREFIX = "pgbouncer_process_";
    private static final Path STAT = Path.of("/proc/self/stat");
    private static final Path LIMITS = Path.of("/proc/self/limits");
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path FDS = Path.of("/proc/self/fd");
    /** USER_HZ: the unit of /proc's CPU times on every Linux architecture Java runs on, as Go's procfs assumes. */
    private static final double TICKS_PER_SECOND = 100;
    /** What Go's client reports for an unlimited limit (math.MaxUint64 as a float). */
    private static final double UNLIMITED = 18446744073709551615.0;

    private ProcessMetrics() {}

    /** Every name with its type: README's list, checked by the tests. */
    static List<String[]> names() {
        return List.of(
                new String[] {PREFIX + "cpu_seconds_total", "counter"},
                new String[] {PREFIX + "open_fds", "gauge"},
                new String[] {PREFIX + "max_fds", "gauge"},
                new String[] {PREFIX + "virtual_memory_bytes", "gauge"},
                new String[] {PREFIX + "virtual_memory_max_bytes", "gauge"},
                new String[] {PREFIX + "resident_memory_bytes", "gauge"},
                new String[] {PREFIX + "start_time_seconds", "gauge"},
                new String[] {"poolctl_jvm_heap_used_bytes", "gauge"},
                new String[] {"poolctl_jvm_heap_max_bytes", "gauge"},
                new String[] {"poolctl_netty_memory_used_bytes", "gauge"},
                new String[] {"poolctl_jvm_gc_seconds_total", "counter"});
    }

    static void write(PrometheusText out) {
        procfs(out);
        out.family(PREFIX + "start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
                .sample(PREFIX + "start_time_seconds", List.of(), List.of(),
                        ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0);
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(out, "poolctl_jvm_heap_used_bytes", "JVM heap in use in bytes.", heap.getUsed());
        gauge(out, "poolctl_jvm_heap_max_bytes", "The most heap the JVM will use in bytes (-Xmx).", heap.getMax());
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            ByteBufAllocatorMetric m = provider.metric();
            out.family("poolctl_netty_memory_used_bytes", "gauge",
                    "Bytes Netty's buffer allocator holds for socket buffers and messages in flight, by area.");
            out.sample("poolctl_netty_memory_used_bytes", List.of("area"), List.of("direct"), m.usedDirectMemory());
            out.sample("poolctl_netty_memory_used_bytes", List.of("area"), List.of("heap"), m.usedHeapMemory());
        }
        out.family("poolctl_jvm_gc_seconds_total", "counter", "Time the JVM spent in garbage collection, by collector.");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            out.sample("poolctl_jvm_gc_seconds_total", List.of("gc"), List.of(gc.getName()),
                    Math.max(0, gc.getCollectionTime()) / 1000.0);
        }
    }

    private static void gauge(PrometheusText out, String name, String help, double value) {
        out.family(name, "gauge", help).sample(name, List.of(), List.of(), value);
    }

    /** CPU, memory and file descriptors from /proc; nothing when it cannot be read (not Linux). */
    private static void procfs(PrometheusText out) {
        String[] stat;
        List<String> limits;
        List<String> status;
        long fds;
        try {
            String line = Files.readString(STAT);
            // the command name (field 2) is in parentheses and may hold spaces: fields are counted after its ')'
            stat = line.substring(line.lastIndexOf(')') + 2).split(" ");
            limits = Files.readAllLines(LIMITS);
            status = Files.readAllLines(STATUS);
            try (var entries = Files.list(FDS)) {
                fds = entries.count();
            }
        } catch (IOException | RuntimeException e) {
            return;
        }
        // after ')': state is field 3 of proc(5), so field N is stat[N - 3]
        double cpu = (Long.parseLong(stat[14 - 3]) + Long.parseLong(stat[15 - 3])) / TICKS_PER_SECOND;
        out.family(PREFIX + "cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                .sample(PREFIX + "cpu_seconds_total", List.of(), List.of(), cpu);
        gauge(out, PREFIX + "open_fds", "Number of open file descriptors.", fds);
        gauge(out, PREFIX + "max_fds", "Maximum number of open file descriptors.", firstNumber(limits, "Max open files"));
        gauge(out, PREFIX + "virtual_memory_bytes", "Virtual memory size in bytes.", Long.parseLong(stat[23 - 3]));
        gauge(out, PREFIX + "virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
                firstNumber(limits, "Max address space"));
        // VmRSS in kB rather than stat's pages: the page size is not 4 KiB everywhere
        gauge(out, PREFIX + "resident_memory_bytes", "Resident memory size in bytes.",
                firstNumber(status, "VmRSS:") * 1024);
    }

    /**
     * The first number of the row that starts with {@code name}: a /proc/self/limits soft limit
     * ({@code Max open files  1024  4096  files}) or a /proc/self/status value ({@code VmRSS:  51200 kB}).
     */
    static double firstNumber(List<String> rows, String name) {
        for (String row : rows) {
            if (row.startsWith(name)) {
                String soft = row.substring(name.length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? UNLIMITED : Double.parseDouble(soft);
            }
        }
        return Double.NaN;
    }
}
