package dev.poolctl.pooler.protocol;

import static dev.poolctl.pooler.protocol.RecordingStreamHandler.fwd;
import static dev.poolctl.pooler.protocol.RecordingStreamHandler.msg;
import static dev.poolctl.pooler.protocol.Wire.assertBytes;
import static dev.poolctl.pooler.protocol.Wire.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PgStreamHandler} on an {@link EmbeddedChannel}, through {@link RecordingStreamHandler}.
 *
 * <p>Every buffer comes from a {@link TrackingAllocator} (inputs and the handler's own merge buffers alike), and
 * {@code @AfterEach} closes the channel and asserts that each of them was released.
 */
class PgStreamHandlerTest {
    /** DataRow: PASS unless scripted. */
    private static final byte[] DATA_ROW = Wire.message('D').int16(1).int32(3).text("abc").bytes();
    /** ReadyForQuery. */
    private static final byte[] READY = Wire.message('Z').byte1('I').bytes();
    /** CommandComplete. */
    private static final byte[] COMPLETE = Wire.message('C').cstring("SELECT 1").bytes();
    /** ParameterStatus. */
    private static final byte[] PARAM = Wire.message('S').cstring("TimeZone").cstring("Europe/Berlin").bytes();
    /** ParseComplete: a message with an empty body (length 4). */
    private static final byte[] PARSE_COMPLETE = Wire.message('1').bytes();

    /** Three messages; READY is the one scripted as NEED_BODY. */
    private static final byte[] STREAM = concat(DATA_ROW, READY, COMPLETE);

    private TrackingAllocator alloc;
    private EmbeddedChannel channel;
    private RecordingStreamHandler handler;

    @BeforeEach
    void open() {
        alloc = new TrackingAllocator();
        handler = new RecordingStreamHandler();
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(handler);
    }

    @AfterEach
    void finishAndCheckReleased() {
        assertFalse(channel.finish(), "the handler must not pass anything down the pipeline");
        alloc.assertAllReleased();
    }

    private void feed(byte[]... chunks) {
        for (byte[] c : chunks) {
            channel.writeInbound(alloc.wrap(c));
        }
    }

    private void feed(List<byte[]> chunks) {
        feed(chunks.toArray(byte[][]::new));
    }

    /** {@code stream} cut at the given offsets (ascending). */
    private static List<byte[]> split(byte[] stream, int... cuts) {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            out.add(Arrays.copyOfRange(stream, from, c));
            from = c;
        }
        out.add(Arrays.copyOfRange(stream, from, stream.length));
        return out;
    }

    private static List<byte[]> bytewise(byte[] stream) {
        return split(stream, IntStream.range(1, stream.length).toArray());
    }

    private static IntStream splitPointsOfStream() {
        return IntStream.range(1, STREAM.length);
    }

    /** Starts over with a fresh channel, after checking the current one (for loops over many feedings). */
    private void reopen() {
        finishAndCheckReleased();
        open();
    }

    // ---- emitted messages (prepared statement rewriting) ----

    @Test
    void emittedMessageGoesRightAfterAForwardedMessage() {
        handler.needBody('Z').emitOn('Z', PARSE_COMPLETE);

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(concat(DATA_ROW, READY)), fwd(PARSE_COMPLETE), fwd(COMPLETE)),
                handler.events);
    }

    @Test
    void emittedMessagesTakeTheDroppedMessagesPlaceInOrder() {
        handler.answer('Z', PgStreamHandler.DROP).emitOn('Z', PARSE_COMPLETE, PARAM);

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(DATA_ROW), fwd(PARSE_COMPLETE), fwd(PARAM), fwd(COMPLETE)),
                handler.events);
    }

    @Test
    void emittedMessageGoesBeforeAfterCut() {
        handler.answer('Z', PgStreamHandler.FORWARD_AND_CUT).emitOn('Z', PARSE_COMPLETE);

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(concat(DATA_ROW, READY)), fwd(PARSE_COMPLETE), "cut", fwd(COMPLETE)),
                handler.events);
    }

    @Test
    void largeNeedBodyMessageIsCollectedAcrossReadsAndSeenOnce() {
        handler.needBody('B');
        byte[] payload = new byte[300_000];
        Arrays.fill(payload, (byte) 'x');
        byte[] bind = Wire.message('B').cstring("").cstring("s").bytes(payload).bytes();
        byte[] stream = concat(DATA_ROW, bind, READY);
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0; from < stream.length; from += 1000) {
            chunks.add(Arrays.copyOfRange(stream, from, Math.min(stream.length, from + 1000)));
        }

        feed(chunks);

        assertEquals(List.of(msg(bind)), handler.messages());
        assertBytes(stream, handler.forwardedBytes(), "forwarded");
        long bindClassified = handler.classified.stream().filter(c -> c.startsWith("B/")).count();
        assertTrue(bindClassified <= 2, "classified when first seen and once when whole: " + handler.classified);
        assertFalse(handler.kept());
    }

    // ---- whole messages ----

    @Test
    void passMessageIsForwardedWithoutOnMessage() {
        feed(DATA_ROW);

        assertEquals(List.of(fwd(DATA_ROW)), handler.events);
        assertEquals(List.of("D/" + (DATA_ROW.length - 1)), handler.classified);
        assertFalse(handler.kept());
    }

    @Test
    void needBodyMessageIsHandedToOnMessageWholeThenForwarded() {
        handler.needBody('Z');

        feed(READY);

        assertEquals(List.of(msg(READY), fwd(READY)), handler.events);
        assertEquals(List.of("Z/5"), handler.classified);
    }

    @Test
    void messageWithEmptyBodyIsFramedByItsLengthOfFour() {
        handler.needBody('1');

        feed(concat(PARSE_COMPLETE, PARSE_COMPLETE));

        assertEquals(List.of(msg(PARSE_COMPLETE), msg(PARSE_COMPLETE)), handler.messages());
        assertBytes(concat(PARSE_COMPLETE, PARSE_COMPLETE), handler.forwardedBytes(), "forwarded");
    }

    @Test
    void backToBackMessagesInOneReadAreForwardedAsOneRun() {
        handler.needBody('Z');

        feed(concat(DATA_ROW, DATA_ROW, READY, COMPLETE, PARSE_COMPLETE));

        assertEquals(1, handler.runs.size(), "one read of FORWARD/PASS messages is one forward()");
        assertBytes(concat(DATA_ROW, DATA_ROW, READY, COMPLETE, PARSE_COMPLETE), handler.runs.get(0), "run");
        assertEquals(List.of(msg(READY)), handler.messages());
    }

    @Test
    void emptyReadForwardsNothing() {
        feed(new byte[0]);

        assertEquals(List.of(), handler.events);
        assertFalse(handler.kept());
    }

    // ---- splits ----

    @ParameterizedTest(name = "split at byte {0}")
    @MethodSource("splitPointsOfStream")
    void twoReadsSplitAnywhereGiveTheSameBytesAndMessagesAsOneRead(int split) {
        handler.needBody('Z');

        feed(split(STREAM, split));

        assertBytes(STREAM, handler.forwardedBytes(), "forwarded after split at " + split);
        assertEquals(List.of(msg(READY)), handler.messages());
        assertFalse(handler.kept());
    }

    @Test
    void byteByByteGivesTheSameBytesAndMessagesAsOneRead() {
        handler.needBody('Z');

        feed(bytewise(STREAM));

        assertBytes(STREAM, handler.forwardedBytes(), "forwarded");
        assertEquals(List.of(msg(READY)), handler.messages());
        assertFalse(handler.kept());
    }

    @Test
    void readsSplitAtMessageBoundariesForwardEachMessageInItsOwnRead() {
        handler.needBody('Z');

        feed(DATA_ROW, READY, COMPLETE);

        assertEquals(List.of(fwd(DATA_ROW), msg(READY), fwd(READY), fwd(COMPLETE)), handler.events);
    }

    @Test
    void threeReadsSplitAtAnyTwoPointsGiveTheSameResultForEveryAction() {
        // ParameterStatus dropped, ReadyForQuery cut, two PASS messages around them.
        byte[] stream = concat(PARAM, DATA_ROW, READY, PARSE_COMPLETE);
        byte[] expectedForwarded = concat(DATA_ROW, READY, PARSE_COMPLETE);
        int cutAt = DATA_ROW.length + READY.length;
        for (int i = 1; i < stream.length; i++) {
            for (int j = i; j < stream.length; j++) {
                handler.answer('S', RecordingStreamHandler.DROP).answer('Z', RecordingStreamHandler.FORWARD_AND_CUT);

                feed(split(stream, i, j));

                String at = "split at " + i + "," + j;
                assertBytes(expectedForwarded, handler.forwardedBytes(), at);
                assertEquals(List.of(msg(PARAM), msg(READY)), handler.messages(), at);
                assertEquals(List.of(cutAt), handler.cutOffsets, at);
                reopen();
            }
        }
    }

    @Test
    void incompleteNeedBodyMessageProducesNoOutputUntilItsLastByte() {
        handler.needBody('S');
        byte[] stream = concat(DATA_ROW, PARAM);
        int paramStart = DATA_ROW.length;

        feed(Arrays.copyOfRange(stream, 0, paramStart + 3));
        for (int i = paramStart + 3; i < stream.length - 1; i++) {
            feed(new byte[] {stream[i]});
            assertEquals(List.of(fwd(DATA_ROW)), handler.events, "after byte " + i);
            assertTrue(handler.kept(), "the partial message is kept");
        }
        feed(new byte[] {stream[stream.length - 1]});

        assertEquals(List.of(fwd(DATA_ROW), msg(PARAM), fwd(PARAM)), handler.events);
        assertFalse(handler.kept());
    }

    @Test
    void needBodyMessageSplitAcrossReadsIsDeliveredWholeExactlyOnce() {
        handler.needBody('S');

        feed(split(PARAM, 2, 9, 17));

        assertEquals(List.of(msg(PARAM)), handler.messages());
        assertBytes(PARAM, handler.forwardedBytes(), "forwarded");
    }

    // ---- PASS messages larger than a read ----

    @Test
    void passMessageLargerThanOneReadStreamsThroughPieceByPiece() {
        byte[] copyData = Wire.message('d').filler(10_000, 'x').bytes();
        List<byte[]> reads = new ArrayList<>();
        for (int from = 0; from < copyData.length; from += 1000) {
            reads.add(Arrays.copyOfRange(copyData, from, Math.min(copyData.length, from + 1000)));
        }

        for (byte[] r : reads) {
            int before = handler.runs.size();
            feed(r);
            assertEquals(before + 1, handler.runs.size(), "each read is forwarded when it arrives");
            assertBytes(r, handler.runs.get(before), "piece");
        }

        assertBytes(copyData, handler.forwardedBytes(), "forwarded");
        assertEquals(List.of(), handler.messages());
        assertEquals(List.of("d/10004"), handler.classified, "classified once, from its header");
        assertFalse(handler.kept(), "a streamed body is never kept");
    }

    @Test
    void messageAfterTheEndOfAStreamedBodyIsScannedInTheSameRead() {
        handler.needBody('Z');
        byte[] copyData = Wire.message('d').filler(3000, 'x').bytes();
        byte[] stream = concat(copyData, READY, COMPLETE);

        feed(split(stream, 1000, 2000, 3000));

        assertBytes(stream, handler.forwardedBytes(), "forwarded");
        assertEquals(List.of(msg(READY)), handler.messages());
        assertEquals(List.of("d/3004", "Z/5", "C/13"), handler.classified);
    }

    @Test
    void passMessageIsClassifiedOnceEvenWhenItsHeaderArrivesByteByByte() {
        feed(bytewise(concat(DATA_ROW, COMPLETE)));

        assertEquals(List.of("D/" + (DATA_ROW.length - 1), "C/" + (COMPLETE.length - 1)), handler.classified);
    }

    @Test
    void needBodyMessageSplitAcrossReadsIsDeliveredOnceThoughClassifiedPerRead() {
        handler.needBody('S');

        feed(split(PARAM, 6, 12, 20));

        // Documented: NEED_BODY answers are asked again until the message is whole; onMessage runs once.
        assertEquals(4, handler.classified.size());
        assertEquals(1, handler.events.stream().filter(e -> e.startsWith("msg")).count());
    }

    // ---- FORWARD_AND_CUT ----

    @Test
    void forwardAndCutForwardsTheRunThroughTheMessageBeforeAfterCut() {
        handler.answer('Z', RecordingStreamHandler.FORWARD_AND_CUT);

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(concat(DATA_ROW, READY)), "cut", fwd(COMPLETE)), handler.events);
    }

    @Test
    void forwardAndCutOnTheLastMessageOfAReadLeavesNoEmptyRun() {
        handler.answer('Z', RecordingStreamHandler.FORWARD_AND_CUT);

        feed(concat(DATA_ROW, READY));

        assertEquals(List.of(msg(READY), fwd(concat(DATA_ROW, READY)), "cut"), handler.events);
    }

    @Test
    void forwardAndCutTwiceInOneReadCutsTwice() {
        handler.answer('Z', RecordingStreamHandler.FORWARD_AND_CUT);

        feed(concat(DATA_ROW, READY, COMPLETE, READY));

        assertEquals(List.of(msg(READY), fwd(concat(DATA_ROW, READY)), "cut", msg(READY),
                fwd(concat(COMPLETE, READY)), "cut"), handler.events);
    }

    @ParameterizedTest(name = "split at byte {0}")
    @MethodSource("splitPointsOfStream")
    void forwardAndCutHappensRightAfterTheMessageWhereverTheReadsSplit(int split) {
        handler.answer('Z', RecordingStreamHandler.FORWARD_AND_CUT);

        feed(split(STREAM, split));

        assertEquals(List.of(DATA_ROW.length + READY.length), handler.cutOffsets);
        assertBytes(STREAM, handler.forwardedBytes(), "forwarded");
    }

    // ---- DROP ----

    @Test
    void dropRemovesExactlyThatMessageFromTheForwardedBytes() {
        handler.answer('S', RecordingStreamHandler.DROP);

        feed(concat(DATA_ROW, PARAM, COMPLETE));

        // onMessage sees the message before the run in front of it is forwarded.
        assertEquals(List.of(msg(PARAM), fwd(DATA_ROW), fwd(COMPLETE)), handler.events);
        assertBytes(concat(DATA_ROW, COMPLETE), handler.forwardedBytes(), "forwarded");
    }

    @Test
    void droppingEveryMessageForwardsNothing() {
        handler.answer('S', RecordingStreamHandler.DROP);

        feed(concat(PARAM, PARAM, PARAM));

        assertEquals(3, handler.messages().size());
        assertEquals(List.of(), handler.runs);
    }

    @Test
    void dropOfFirstAndLastMessageKeepsTheMiddle() {
        handler.answer('S', RecordingStreamHandler.DROP);

        feed(concat(PARAM, DATA_ROW, COMPLETE, PARAM));

        assertBytes(concat(DATA_ROW, COMPLETE), handler.forwardedBytes(), "forwarded");
    }

    @Test
    void dropRemovesExactlyThatMessageWhereverTheReadsSplit() {
        byte[] stream = concat(DATA_ROW, PARAM, COMPLETE);
        for (int split = 1; split < stream.length; split++) {
            handler.answer('S', RecordingStreamHandler.DROP);

            feed(split(stream, split));

            assertBytes(concat(DATA_ROW, COMPLETE), handler.forwardedBytes(), "split at " + split);
            assertEquals(List.of(msg(PARAM)), handler.messages(), "split at " + split);
            reopen();
        }
    }

    // ---- STOP / resumeScan ----

    @Test
    void stopForwardsTheRunBeforeTheMessageAfterOnMessageAndKeepsTheMessageAndTheRest() {
        handler.answer('Z', RecordingStreamHandler.STOP);

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(DATA_ROW), "stop"), handler.events);
        assertTrue(handler.kept());
    }

    @Test
    void readsAfterStopAreKeptUnscannedUntilResumeScanWhichScansEverythingInOrder() {
        handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD).needBody('S');
        feed(STREAM);
        List<String> classifiedAtStop = List.copyOf(handler.classified);
        List<String> eventsAtStop = List.copyOf(handler.events);

        feed(PARAM, DATA_ROW);
        feed(READY);

        assertEquals(eventsAtStop, handler.events, "nothing happens while stopped");
        assertEquals(classifiedAtStop, handler.classified, "reads after STOP are not scanned");
        assertTrue(handler.kept());

        handler.resume();

        assertEquals(List.of(msg(READY), msg(PARAM), msg(READY)), handler.messages().subList(1, 4),
                "the stopped message is offered again, then the rest in order");
        assertBytes(concat(STREAM, PARAM, DATA_ROW, READY), handler.forwardedBytes(), "forwarded");
        assertFalse(handler.kept());
    }

    @Test
    void resumeScanKeepsAPartialMessageAtTheEndForTheNextRead() {
        handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD).needBody('S');
        feed(concat(DATA_ROW, READY, Arrays.copyOf(PARAM, 7)));

        handler.resume();

        assertEquals(List.of(msg(READY), fwd(DATA_ROW), "stop", msg(READY), fwd(READY)), handler.events);
        assertTrue(handler.kept(), "the partial ParameterStatus waits for its rest");

        feed(Arrays.copyOfRange(PARAM, 7, PARAM.length));

        assertEquals(List.of(msg(READY), msg(READY), msg(PARAM)), handler.messages());
        assertBytes(concat(DATA_ROW, READY, PARAM), handler.forwardedBytes(), "forwarded");
    }

    @Test
    void resumeScanInsideAfterStopContinuesInOrder() {
        handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD);
        handler.resumeInAfterStop = true;

        feed(STREAM);

        assertEquals(List.of(msg(READY), fwd(DATA_ROW), "stop", msg(READY), fwd(concat(READY, COMPLETE))),
                handler.events);
        assertFalse(handler.kept());
    }

    @Test
    void stopAgainAfterResumeKeepsTheRestAgain() {
        handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD,
                RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD);
        byte[] stream = concat(READY, DATA_ROW, READY, COMPLETE);
        feed(stream);

        handler.resume();
        assertTrue(handler.kept(), "second ReadyForQuery stopped the scan again");
        handler.resume();

        assertEquals(List.of(msg(READY), "stop", msg(READY), msg(READY), fwd(concat(READY, DATA_ROW)), "stop",
                msg(READY), fwd(concat(READY, COMPLETE))), handler.events);
        assertBytes(stream, handler.forwardedBytes(), "forwarded");
    }

    @Test
    void stopWhereverTheReadsSplitResumesToTheSameBytes() {
        for (int split = 1; split < STREAM.length; split++) {
            handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD);
            List<byte[]> reads = split(STREAM, split);

            feed(reads);
            handler.resume();

            assertBytes(STREAM, handler.forwardedBytes(), "split at " + split);
            assertEquals(List.of(msg(READY), msg(READY)), handler.messages(), "split at " + split);
            reopen();
        }
    }

    // ---- protocol errors ----

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {3, 0, -1, Integer.MIN_VALUE})
    void lengthBelowFourIsAProtocolErrorAndNothingAfterItIsForwarded(int length) {
        handler.needBody('Z');
        byte[] bad = Wire.raw().type('Q').int32(length).cstring("SELECT 1").bytes();

        feed(concat(DATA_ROW, bad, READY, COMPLETE));

        assertEquals(List.of(fwd(DATA_ROW), "error invalid packet length " + length), handler.events);
        assertFalse(channel.isOpen());
        assertEquals(List.of("D/" + (DATA_ROW.length - 1)), handler.classified, "the bad message is not classified");
    }

    @Test
    void lengthAboveMaxPacketSizeIsAProtocolErrorAndNothingAfterItIsForwarded() {
        handler.maxPacketSize = 64;
        byte[] tooLarge = Wire.raw().type('d').int32(65).filler(64 - 4, 'x').bytes();

        feed(concat(DATA_ROW, tooLarge, COMPLETE));

        assertEquals(List.of(fwd(DATA_ROW), "error packet too large: 65 bytes (max_packet_size 64)"),
                handler.events);
        assertFalse(channel.isOpen());
    }

    @Test
    void lengthEqualToMaxPacketSizeIsAccepted() {
        handler.maxPacketSize = 64;
        byte[] atLimit = Wire.raw().type('d').int32(64).filler(60, 'x').bytes();

        feed(concat(atLimit, COMPLETE));

        assertEquals(List.of(), handler.errors);
        assertBytes(concat(atLimit, COMPLETE), handler.forwardedBytes(), "forwarded");
    }

    @Test
    void tooLargeNeedBodyMessageIsRejectedFromItsHeaderWithoutWaitingForTheBody() {
        handler.maxPacketSize = 64;
        handler.needBody('S');

        feed(Wire.raw().type('S').int32(1000).bytes());

        assertEquals(List.of("error packet too large: 1000 bytes (max_packet_size 64)"), handler.events);
    }

    @Test
    void badHeaderArrivingByteByByteReportsOneProtocolError() {
        byte[] bad = Wire.raw().type('Q').int32(2).bytes();
        feed(DATA_ROW);

        for (byte b : bad) {
            feed(new byte[] {b});
        }

        assertEquals(List.of(fwd(DATA_ROW), "error invalid packet length 2"), handler.events);
        assertEquals(1, handler.errors.size());
        assertFalse(channel.isOpen());
    }

    @Test
    void protocolErrorDiscardsTheRestOfTheReadEvenIfTheSubclassKeepsTheChannelOpen() {
        handler.closeOnProtocolError = false;

        feed(concat(DATA_ROW, Wire.raw().type('Q').int32(1).bytes(), COMPLETE, COMPLETE));

        assertEquals(List.of(fwd(DATA_ROW), "error invalid packet length 1"), handler.events);
        assertFalse(handler.kept());
    }

    @Test
    void protocolErrorAfterResumeScanForwardsOnlyTheMessagesBeforeIt() {
        handler.answer('Z', RecordingStreamHandler.STOP, RecordingStreamHandler.FORWARD);
        feed(concat(READY, COMPLETE, Wire.raw().type('C').int32(-7).bytes(), DATA_ROW));

        handler.resume();

        assertEquals(List.of(msg(READY), "stop", msg(READY), fwd(concat(READY, COMPLETE)),
                "error invalid packet length -7"), handler.events);
    }

    // ---- closing ----

    @Test
    void closingTheChannelInsideOnMessageStopsTheScan() {
        handler.needBody('Z');
        handler.onMessageHook = ctx -> ctx.close();

        feed(concat(READY, COMPLETE, READY));

        assertEquals(List.of(msg(READY)), handler.events);
        assertEquals(List.of("Z/5"), handler.classified);
    }

    @Test
    void closeReleasesAPartialMessage() {
        handler.needBody('S');
        feed(concat(DATA_ROW, Arrays.copyOf(PARAM, PARAM.length - 1)));
        assertTrue(handler.kept());

        channel.close();

        assertFalse(handler.kept());
    }

    @Test
    void closeReleasesBytesKeptByStop() {
        handler.answer('Z', RecordingStreamHandler.STOP);
        feed(STREAM);
        feed(DATA_ROW, COMPLETE);

        channel.close();

        assertFalse(handler.kept());
        assertEquals(List.of(msg(READY), fwd(DATA_ROW), "stop"), handler.events);
    }

    @Test
    void closeReleasesAPartialHeader() {
        feed(Arrays.copyOf(COMPLETE, 3));
        assertTrue(handler.kept());
        assertEquals(List.of(), handler.events, "no output before the header is complete");

        channel.close();

        assertFalse(handler.kept());
    }
}
