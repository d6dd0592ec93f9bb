#!/usr/bin/env python3
"""Open many PostgreSQL connections that log in fully and then sit idle.

pgbench cannot hold thousands of idle logged-in clients (one thread per few connections, and every
client runs transactions), so scripts/bench uses this to measure a pooler's memory per idle client.
Standard library only: one thread, non-blocking sockets on a selector, the v3 startup packet and
md5 or cleartext password authentication, up to ReadyForQuery. See --help.
"""
import argparse
import collections
import errno
import hashlib
import os
import resource
import selectors
import socket
import struct
import sys
import time

HELP_EPILOG = """\
Protocol: StartupMessage (v3.0, user + database), then AuthenticationMD5Password (answered with
md5(md5(password + user) + salt)), AuthenticationCleartextPassword or AuthenticationOk, then
ParameterStatus/BackendKeyData until ReadyForQuery: only then a client counts as logged in.
An ErrorResponse, EOF, refused connect or --timeout fails that client (reasons are counted and
printed on stderr); the others are kept. A logged-in client the server later closes counts as
dropped. SCRAM is not spoken (use an md5 or cleartext auth_type).

Output: after each count is reached (or every attempt for it has ended) one line on stdout:
  ready N held=H failed=F dropped=D
then the clients stay idle for --hold seconds, or with --wait-stdin until a line arrives on stdin
(scripts/bench measures the pooler's RSS meanwhile, then writes "next"). After the last count:
  done held=H failed=F dropped=D
and every connection is closed with a Terminate message. Progress goes to stderr.

File descriptors: one per client in this process. The soft RLIMIT_NOFILE is raised to the hard
limit when the largest count needs it; when the hard limit is too low, the clients beyond it fail
with "client: [Errno 24] Too many open files" (the pooler needs as many descriptors too).

Exit status: 0 when every client of every count was held to the end, 1 otherwise, 2 on bad usage.

Example (PGPASSWORD in the environment; two steps, pausing 5 s at each):
  PGPASSWORD=secret scripts/idle-clients.py --port 6432 --user bench --dbname bench \\
      --counts 1000,10000 --hold 5
"""


def parse_args():
    p = argparse.ArgumentParser(
        prog="idle-clients.py",
        description="Open N PostgreSQL client connections that log in fully (md5 or cleartext password, "
                    "until ReadyForQuery) and then stay idle, in steps, reporting on stdout when each "
                    "step is held.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="server address [127.0.0.1]")
    p.add_argument("--port", type=int, required=True, help="server port")
    p.add_argument("--user", required=True, help="user name")
    p.add_argument("--dbname", required=True, help="database name")
    p.add_argument("--password-env", default="PGPASSWORD",
                   help="environment variable holding the password (not on the command line, "
                        "where ps shows it) [PGPASSWORD]")
    p.add_argument("--counts", required=True,
                   help="comma list of total client counts to reach in turn, ascending, e.g. 1000,10000")
    p.add_argument("--concurrency", type=int, default=200,
                   help="logins in flight at once (more overflows the listen backlog and waits for "
                        "SYN retries) [200]")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds one login may take before it counts as failed [60]")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--hold", type=float, default=0.0,
                   help="seconds to stay idle at each count [0]")
    g.add_argument("--wait-stdin", action="store_true",
                   help="at each count, wait for a line on stdin instead of --hold")
    a = p.parse_args()
    try:
        a.counts = [int(x) for x in a.counts.split(",") if x.strip()]
    except ValueError:
        p.error("--counts must be a comma list of positive integers")
    if not a.counts or any(c <= 0 for c in a.counts) or a.counts != sorted(a.counts):
        p.error("--counts must be positive integers in ascending order")
    if a.concurrency <= 0 or a.timeout <= 0 or a.hold < 0:
        p.error("--concurrency and --timeout must be > 0, --hold >= 0")
    a.password = os.environ.get(a.password_env, "")
    return a


def log(msg):
    print("[idle-clients %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def raise_nofile(needed):
    """Raises the soft open-files limit toward the hard one; returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        if new > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
    if soft != resource.RLIM_INFINITY and soft < needed:
        log("open-files limit %d (hard %s) is below the %d this run needs: clients beyond it will fail"
            % (soft, hard, needed))
    return soft


class Conn:
    __slots__ = ("sock", "buf", "state", "started")

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.state = "connecting"  # connecting -> auth -> idle
        self.started = time.monotonic()


def startup_packet(user, dbname):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0" + dbname.encode() + b"\0\0"
    return struct.pack("!I", len(body) + 4) + body


def password_message(text):
    data = text.encode() + b"\0"
    return b"p" + struct.pack("!I", len(data) + 4) + data


def error_text(payload):
    fields = {}
    for part in bytes(payload).split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return "server: %s %s" % (fields.get("C", "?"), fields.get("M", "?"))


class Runner:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.pending = set()   # logins in flight
        self.idle = set()      # logged in, kept open
        self.failed = collections.Counter()
        self.dropped = 0
        self.attempts = 0
        self.fd_exhausted = False
        self.startup = startup_packet(a.user, a.dbname)

    # -- one connection's events
    def fail(self, c, reason):
        self.failed[reason] += 1
        self.pending.discard(c)
        self.close(c)

    def close(self, c):
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()

    def open_one(self):
        self.attempts += 1
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            self.failed["client: %s" % e] += 1
            if e.errno in (errno.EMFILE, errno.ENFILE):
                self.fd_exhausted = True
            return
        s.setblocking(False)
        c = Conn(s)
        rc = s.connect_ex((self.a.host, self.a.port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            self.failed["connect: %s" % os.strerror(rc)] += 1
            return
        self.pending.add(c)
        self.sel.register(s, selectors.EVENT_WRITE, c)

    def on_event(self, c, mask):
        if c.state == "connecting":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.fail(c, "connect: %s" % os.strerror(err))
            try:
                c.sock.send(self.startup)  # a few dozen bytes: an empty socket buffer takes them whole
            except OSError as e:
                return self.fail(c, "send: %s" % e)
            c.state = "auth"
            self.sel.modify(c.sock, selectors.EVENT_READ, c)
            return
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            data = None
            reason = "recv: %s" % e
        else:
            reason = "EOF from server"
        if not data:
            if c.state == "idle":
                self.dropped += 1
                self.idle.discard(c)
                self.close(c)
            else:
                self.fail(c, reason)
            return
        if c.state == "idle":
            return  # e.g. a ParameterStatus; an idle client reads and ignores it
        c.buf += data
        while len(c.buf) >= 5:
            kind = chr(c.buf[0])
            (length,) = struct.unpack_from("!I", c.buf, 1)
            if len(c.buf) < 1 + length:
                break
            payload = c.buf[5:1 + length]
            del c.buf[:1 + length]
            if kind == "R":
                (code,) = struct.unpack_from("!I", payload, 0)
                if code == 5:  # md5: md5(md5(password + user) + salt), hex, "md5" prefix
                    inner = hashlib.md5((self.a.password + self.a.user).encode()).hexdigest()
                    outer = hashlib.md5(inner.encode() + bytes(payload[4:8])).hexdigest()
                    answer = password_message("md5" + outer)
                elif code == 3:
                    answer = password_message(self.a.password)
                elif code == 0:
                    continue
                else:
                    return self.fail(c, "unsupported authentication request %d" % code)
                try:
                    c.sock.send(answer)
                except OSError as e:
                    return self.fail(c, "send: %s" % e)
            elif kind == "E":
                return self.fail(c, error_text(payload))
            elif kind == "Z":
                self.pending.discard(c)
                c.state = "idle"
                c.buf = bytearray()
                self.idle.add(c)
                return
            # S (ParameterStatus), K (BackendKeyData), N (NoticeResponse): nothing to do

    def poll(self, timeout):
        for key, mask in self.sel.select(timeout):
            if key.data is None:
                continue  # stdin, handled by the caller
            self.on_event(key.data, mask)
        now = time.monotonic()
        for c in [c for c in self.pending if now - c.started > self.a.timeout]:
            self.fail(c, "login timeout (%gs)" % self.a.timeout)

    def failed_total(self):
        return sum(self.failed.values())

    # -- one step: reach `target` logged-in clients, or give up on the rest
    def reach(self, target):
        last = 0.0
        while True:
            # Each failed attempt is not retried: a count is N attempts in total, so a limit shows as failures.
            while (not self.fd_exhausted and len(self.pending) < self.a.concurrency
                   and self.attempts < target):
                self.open_one()
            if not self.pending and (self.attempts >= target or self.fd_exhausted):
                break
            self.poll(0.2)
            now = time.monotonic()
            if now - last >= 1.0:
                last = now
                log("step %d: %d logged in, %d in flight, %d failed, %d dropped"
                    % (target, len(self.idle), len(self.pending), self.failed_total(), self.dropped))
        if self.failed:
            for reason, n in self.failed.most_common(5):
                log("  failed x%d: %s" % (n, reason))

    def hold(self, seconds, wait_stdin):
        if wait_stdin:
            self.sel.register(sys.stdin, selectors.EVENT_READ, None)
            try:
                while True:
                    events = self.sel.select(1.0)
                    if any(key.data is None for key, _ in events):
                        sys.stdin.readline()  # "next" or EOF: go on either way
                        break
                    for key, mask in events:
                        self.on_event(key.data, mask)
            finally:
                self.sel.unregister(sys.stdin)
        else:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                self.poll(min(0.5, max(0.0, end - time.monotonic())))

    def close_all(self):
        terminate = b"X" + struct.pack("!I", 4)
        for c in list(self.idle) + list(self.pending):
            try:
                c.sock.send(terminate)
            except OSError:
                pass
            self.close(c)
        self.idle.clear()
        self.pending.clear()


def main():
    a = parse_args()
    raise_nofile(max(a.counts) + 64)
    r = Runner(a)
    log("connecting to %s:%d as %s, database %s; steps %s, %d logins in flight"
        % (a.host, a.port, a.user, a.dbname, ",".join(map(str, a.counts)), a.concurrency))
    try:
        for n in a.counts:
            t0 = time.monotonic()
            r.reach(n)
            log("step %d: %d held after %.1fs (%d failed, %d dropped)"
                % (n, len(r.idle), time.monotonic() - t0, r.failed_total(), r.dropped))
            print("ready %d held=%d failed=%d dropped=%d" % (n, len(r.idle), r.failed_total(), r.dropped),
                  flush=True)
            r.hold(a.hold, a.wait_stdin)
        held = len(r.idle)
        print("done held=%d failed=%d dropped=%d" % (held, r.failed_total(), r.dropped), flush=True)
    finally:
        r.close_all()
    return 0 if held == max(a.counts) and r.failed_total() == 0 and r.dropped == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
