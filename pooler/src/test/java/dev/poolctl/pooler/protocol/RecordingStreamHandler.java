package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A {@link PgStreamHandler} with scripted answers that records what the base class does, in order.
 *
 * <p>Events are strings so a failing assertion shows the whole story: {@code "fwd <hex>"} for a forwarded run,
 * {@code "msg Z <hex>"} for an {@code onMessage} call (frame bytes from the type byte), {@code "cut"},
 * {@code "stop"} and {@code "error <message>"}. Forwarded runs are copied and released at once.
 *
 * <p>Types not scripted are {@code PASS}. {@link #needBody} makes a type {@code NEED_BODY} answered with
 * {@code FORWARD}; {@link #answer} scripts the {@code onMessage} answers of a type in order, the last one repeating.
 */
final class RecordingStreamHandler extends PgStreamHandler {
    final List<String> events = new ArrayList<>();
    final List<byte[]> runs = new ArrayList<>();
    final List<String> classified = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    /** For each {@code afterCut}: how many bytes had been forwarded when it was called. */
    final List<Integer> cutOffsets = new ArrayList<>();

    int maxPacketSize = 1 << 20;
    boolean closeOnProtocolError = true;
    boolean resumeInAfterStop;
    /** Runs inside {@code onMessage} before it answers (for example to close the channel). */
    Consumer<ChannelHandlerContext> onMessageHook = ctx -> {};

    private final Map<Byte, Deque<Integer>> answers = new HashMap<>();
    /** Messages {@code onMessage} emits (PgStreamHandler.emit) for a type, before it answers. */
    private final Map<Byte, List<byte[]>> emits = new HashMap<>();
    private ChannelHandlerContext ctx;

    RecordingStreamHandler needBody(char... types) {
        for (char t : types) {
            answers.computeIfAbsent((byte) t, k -> new ArrayDeque<>(List.of(FORWARD)));
        }
        return this;
    }

    RecordingStreamHandler answer(char type, int... actions) {
        Deque<Integer> q = new ArrayDeque<>();
        for (int a : actions) {
            q.add(a);
        }
        answers.put((byte) type, q);
        return this;
    }

    /** Makes {@code onMessage} of {@code type} emit these messages (allocated from the channel's allocator). */
    RecordingStreamHandler emitOn(char type, byte[]... messages) {
        emits.put((byte) type, List.of(messages));
        return this;
    }

    /** Calls the base class's {@code resumeScan} as a subclass would, on the channel's context. */
    void resume() {
        resumeScan(ctx);
    }

    boolean kept() {
        return hasKeptBytes();
    }

    byte[] forwardedBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runs.forEach(out::writeBytes);
        return out.toByteArray();
    }

    List<String> messages() {
        return events.stream().filter(e -> e.startsWith("msg ")).toList();
    }

    static String msg(byte[] frame) {
        return "msg " + (char) frame[0] + " " + ByteBufUtil.hexDump(frame);
    }

    static String fwd(byte[] run) {
        return "fwd " + ByteBufUtil.hexDump(run);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseKept();
        super.channelInactive(ctx);
    }

    @Override
    protected int maxPacketSize() {
        return maxPacketSize;
    }

    @Override
    protected int classify(byte type, int length) {
        classified.add((char) type + "/" + length);
        return answers.containsKey(type) ? NEED_BODY : PASS;
    }

    @Override
    protected int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        events.add(msg(ByteBufUtil.getBytes(frame)));
        onMessageHook.accept(ctx);
        for (byte[] m : emits.getOrDefault(type, List.of())) {
            emit(ctx.alloc().buffer(m.length).writeBytes(m));
        }
        Deque<Integer> q = answers.get(type);
        return q.size() > 1 ? q.poll() : q.peek();
    }

    @Override
    protected void forward(ChannelHandlerContext ctx, ByteBuf run) {
        try {
            byte[] b = ByteBufUtil.getBytes(run);
            runs.add(b);
            events.add(fwd(b));
        } finally {
            run.release();
        }
    }

    @Override
    protected void afterCut(ChannelHandlerContext ctx) {
        events.add("cut");
        cutOffsets.add(forwardedBytes().length);
    }

    @Override
    protected void afterStop(ChannelHandlerContext ctx) {
        events.add("stop");
        if (resumeInAfterStop) {
            resumeScan(ctx);
        }
    }

    @Override
    protected void onProtocolError(ChannelHandlerContext ctx, String message) {
        errors.add(message);
        events.add("error " + message);
        if (closeOnProtocolError) {
            ctx.close();
        }
    }
}
