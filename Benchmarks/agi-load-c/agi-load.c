// agi-load-c: the FastAGI load tool, in plain C so that it costs the machine as little as
// possible. It plays Asterisk's side as the captures show it (Tests/Fixtures/captures/agi/),
// and prints human-readable lines and a final RESULT line. (It replaced a Swift load tool of
// the same command line, whose own hand-built fake Asterisk was removed.)
//
//   agi-load-c --port P [--host H] --concurrency N --duration S [--warmup S] [--think MS]
//   agi-load-c --port P [--host H] --idle N --hold S [--open-window K]
//   agi-load-c --port P [--host H] --ivr KEYS --concurrency N --duration S [--warmup S] [--think MS]
//   common: [--threads T] [--server-pid PID]
//
// --ivr runs Helpline's real /inbound menu instead of the fixed 8-command script: each call
// answers every command the way Asterisk 22 does (the same replies as Helpline's CallPlayer,
// from the captures), a prompt that accepts keys or WAIT FOR DIGIT takes the next scripted key,
// each key group (2,1,1,01) ends with a silence, and the call counts as complete when the
// daemon hands it to the dialplan with HELPLINE_ACTION and a non-empty HELPLINE_TICKET.
//
// Each load thread runs one epoll loop (edge-triggered, non-blocking sockets) over its share of
// the channels; the main thread only starts them, prints progress once a second, reads /proc
// at the edges of the measuring window and merges the figures at the end. Nothing is allocated
// and nothing is printed per command.
//
// Build (Linux, C11, libc only): cc -O2 -o .build/agi-load-c agi-load-c/agi-load.c

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define COMMANDS 8
#define INBUF 1024 /* per connection; a command line is < 64 bytes */

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * NS_PER_S + (uint64_t)t.tv_nsec;
}

// MARK: Script

#define S(x) x, sizeof(x) - 1

/// The 8 command lines, in order, exactly as they must arrive (without the LF).
static const struct { const char *text; size_t len; } expected[COMMANDS] = {
    {S("ANSWER")},
    {S("STREAM FILE welcome \"\"")},
    {S("GET DATA menu 3000 1")},
    {S("SET VARIABLE HELPLINE_DEPT \"dept-3\"")},
    {S("GET DATA enter-district 3000 2")},
    {S("SAY DIGITS 42 \"\"")},
    {S("SET VARIABLE HELPLINE_QUEUE \"q-3\"")},
    {S("HANGUP")},
};

/// What Asterisk answers to each command.
static const struct { const char *prefix; size_t plen; int exact; const char *reply; size_t rlen; } rules[] = {
    {S("ANSWER"), 1, S("200 result=0\n")},
    {S("STREAM FILE "), 0, S("200 result=0 endpos=11360\n")},
    {S("GET DATA menu "), 0, S("200 result=3\n")},
    {S("GET DATA enter-district "), 0, S("200 result=42\n")},
    {S("SET VARIABLE "), 0, S("200 result=1\n")},
    {S("SAY DIGITS "), 0, S("200 result=0\n")},
    // Asterisk soft-hangs-up the channel, then reports the hangup.
    {S("HANGUP"), 1, S("200 result=1\nHANGUP\n")},
};
#define RULES ((int)(sizeof rules / sizeof rules[0]))
static const char unknown_reply[] = "510 Invalid or unknown command\n";
static const char hangup_notice[] = "HANGUP\n";

/// The rule that answers `line`, or -1 for a command Asterisk would not know.
static int rule_for(const char *line, size_t len) {
    for (int i = 0; i < RULES; i++) {
        if (rules[i].exact ? (len == rules[i].plen && memcmp(line, rules[i].prefix, len) == 0)
                           : (len >= rules[i].plen && memcmp(line, rules[i].prefix, rules[i].plen) == 0))
            return i;
    }
    return -1;
}

/// rule_for(expected[i]), worked out once: the common case costs one memcmp.
static int expected_rule[COMMANDS];

// MARK: Histogram (the same log-linear buckets as Histogram.swift: exact below 128 ns, then
// 64 buckets per power of two, 1.6 % resolution)

#define HIST_BUCKETS (128 + (64 - 7) * 64)

typedef struct {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total, sum, max;
} hist_t;

static inline void hist_record(hist_t *h, uint64_t v) {
    int index;
    if (v < 128) {
        index = (int)v;
    } else {
        int magnitude = 63 - __builtin_clzll(v);
        index = 128 + (magnitude - 7) * 64 + (int)((v >> (magnitude - 6)) & 63);
    }
    h->counts[index]++;
    h->total++;
    h->sum += v;
    if (v > h->max) h->max = v;
}

static uint64_t hist_highest(int index) {
    if (index < 128) return (uint64_t)index;
    int offset = index - 128;
    int magnitude = offset / 64 + 7;
    uint64_t sub = (uint64_t)(offset % 64);
    return ((64 + sub + 1) << (magnitude - 6)) - 1;
}

static void hist_merge(hist_t *into, const hist_t *from) {
    for (int i = 0; i < HIST_BUCKETS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    into->sum += from->sum;
    if (from->max > into->max) into->max = from->max;
}

static uint64_t hist_percentile(const hist_t *h, double fraction) {
    if (h->total == 0) return 0;
    double wanted = fraction * (double)h->total;
    uint64_t rank = (uint64_t)wanted;
    if ((double)rank < wanted) rank++;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = hist_highest(i);
            return v < h->max ? v : h->max;
        }
    }
    return h->max;
}

static double hist_mean(const hist_t *h) { return h->total ? (double)h->sum / (double)h->total : 0; }

// MARK: Options and shared settings

enum { E_CONNECT, E_MISMATCH, E_UNKNOWN, E_INCOMPLETE, E_SOCKET, E_PROTOCOL, E_DROPPED, E_STALLED, E_KINDS };

static struct {
    const char *host;
    int port;
    int threads;
    int concurrency; // 0: not given
    double duration, warmup, think_ms;
    int idle; // 0: not given
    double hold;
    int open_window;
    int server_pid; // 0: not given
    const char *ivr; // --ivr KEYS, or NULL
    // Derived.
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } addr;
    socklen_t addrlen;
    int family;
    uint64_t window_start, window_end, think_ns, grace;
    char head[512], middle[128];
    size_t head_len, middle_len;
    signed char keys[64]; // --ivr: the keys in order, -1 for the silence after each group
    int nkeys;
} G = {.host = "127.0.0.1", .threads = 1, .duration = 10, .warmup = 2, .hold = 10, .open_window = 256};

static const char env_tail[] =
    "\nagi_version: 22.10.1\nagi_callerid: 5550100\nagi_calleridname: Lab Caller\nagi_callingpres: 0\n"
    "agi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: unknown\nagi_rdnis: unknown\n"
    "agi_context: helpline-in\nagi_extension: 1076\nagi_priority: 7\nagi_enhanced: 0.0\nagi_accountcode: \n"
    "agi_threadid: 140013700675264\nagi_arg_1: 1076\nagi_arg_2: 5550100\n\n";

static const char usage[] =
    "usage: agi-load-c --port P [--host H] --concurrency N --duration S [--warmup S] [--think MS] [--threads T] [--server-pid PID]\n"
    "       agi-load-c --port P [--host H] --idle N --hold S [--open-window K] [--threads T] [--server-pid PID]\n"
    "  --concurrency N  closed loop: N channels, each running sessions back to back\n"
    "  --duration S     measuring time in seconds (default 10), after --warmup S (default 2)\n"
    "       agi-load-c --port P [--host H] --ivr KEYS --concurrency N --duration S [--warmup S] [--think MS] [--threads T] [--server-pid PID]\n"
    "  --ivr KEYS       run Helpline's /inbound menu with these key groups (like 2,1,1,01) instead of the fixed script\n"
    "  --think MS       wait MS milliseconds (\xc2\xb1" "50 %) before each reply, like a prompt playing (default 0)\n"
    "  --idle N         open N sessions, answer ANSWER, then leave the second command unanswered\n"
    "  --hold S         how long to hold the N idle sessions (default 10)\n"
    "  --open-window K  idle: at most K sessions being set up at once (default 256)\n"
    "  --threads T      event-loop threads of the load tool (default 1)\n"
    "  --server-pid PID read the server's memory (VmRSS, VmHWM) and CPU time from /proc\n";

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("agi-load-c: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", usage);
    va_end(ap);
    exit(2);
}

// MARK: Connections and loops

enum { ST_FREE, ST_CONNECTING, ST_RUNNING, ST_HELD, ST_HANGINGUP, ST_FINISHED, ST_RETRY };

typedef struct conn {
    int fd;
    uint32_t gen; // bumped per session, so stale events are recognised
    uint8_t state;
    uint8_t completed;
    uint8_t was_held;
    uint16_t inlen;
    int step;
    int session_errors;
    int key_pos;                // --ivr: the next key
    uint8_t got_ticket, got_action; // --ivr: what the daemon handed to the dialplan
    uint64_t sent_at;
    uint64_t connect_at;
    // Think time: the held-back reply and its place in the timer wheel.
    const char *preply;
    size_t preply_len;
    int32_t wnext, wprev, wslot;
    // Output the kernel did not take at once (rare): allocated on first use, kept.
    char *pend;
    uint32_t pend_off, pend_len, pend_cap;
    char inbuf[INBUF];
} conn_t;

typedef struct loop {
    int index;
    int epfd, evfd, tfd;
    int closed_mode;
    conn_t *conns;
    int nconns;
    int running_slots;             // closed loop: slots still running
    int waiting, opening, held;    // idle
    int window, next_conn;         // idle
    int live, connecting;
    uint64_t number, rng;
    int hanging_up, aborted, opened_signalled;
    uint64_t abort_at, next_scan, now;
    // Figures.
    hist_t latency, first, later;
    hist_t closing; // --ivr: from the last reply to the daemon closing the session (the caller's wait before the queue)
    hist_t *steps; // --ivr: per command of the call (IVR_STEPS), allocated
    char (*step_names)[48];
    uint64_t commands, completed_in_window, completed, started;
    uint64_t errors[E_KINDS];
    int nsamples;
    char samples[5][256];
    // Think time: a wheel of 1 ms slots (intrusive lists of connection indices).
    int32_t *whead, *wtail;
    int wlen;
    uint64_t wtick;
    // Closed loop: slots waiting 10 ms after a failed connect (FIFO: all wait the same time).
    int32_t *rq;
    uint64_t *rdue;
    int rhead, rcount;
    char env[2048];
    pthread_t thread;
    // Published for the main thread's progress lines.
    _Atomic uint64_t pub_completed, pub_errors;
    _Atomic int pub_live, pub_active, pub_held, pub_opened;
    _Atomic int cmd_hangup;
} loop_t;

static int main_evfd = -1;

/// --ivr: latency is also kept per command of the call (the first IVR_STEPS), to show which
/// step of the menu a tail comes from.
#define IVR_STEPS 40

#define TAG_EVFD 0xFFFFFFFFFFFFFFF0ull
#define TAG_TIMER 0xFFFFFFFFFFFFFFF1ull

static inline uint64_t conn_tag(loop_t *L, conn_t *c) { return (uint64_t)(c - L->conns) | ((uint64_t)c->gen << 32); }

static void add_error(loop_t *L, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_error(loop_t *L, int kind, const char *fmt, ...) {
    L->errors[kind]++;
    if (L->nsamples < 5) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->samples[L->nsamples++], sizeof L->samples[0], fmt, ap);
        va_end(ap);
    }
}

static uint64_t error_total(const uint64_t *e) {
    uint64_t t = 0;
    for (int i = 0; i < E_KINDS; i++) t += e[i];
    return t;
}

static void session_ended(loop_t *L, conn_t *c, uint64_t now);
static void open_more(loop_t *L);
static void publish(loop_t *L);

static size_t build_env(loop_t *L) {
    static const char hex[] = "0123456789abcdef";
    uint64_t number = L->number;
    L->number += (uint64_t)G.threads;
    if (G.ivr) {
        // A caller number per call (9 and nine digits), so no caller piles up open tickets.
        int n = snprintf(L->env, sizeof L->env,
                         "%s%08llx%s%llu\nagi_version: 22.10.1\nagi_callerid: 9%09llu\nagi_calleridname: Load Caller\n"
                         "agi_callingpres: 0\nagi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: 1076\n"
                         "agi_rdnis: unknown\nagi_context: helpline-in\nagi_extension: 1076\nagi_priority: 1\n"
                         "agi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 140013700675264\nagi_arg_1: 1076\n"
                         "agi_arg_2: 9%09llu\n\n",
                         G.head, (unsigned long long)(number & 0xffffffffu), G.middle, (unsigned long long)number,
                         (unsigned long long)(number % 1000000000ull), (unsigned long long)(number % 1000000000ull));
        return (size_t)n;
    }
    char *p = L->env;
    memcpy(p, G.head, G.head_len);
    p += G.head_len;
    for (int shift = 28; shift >= 0; shift -= 4) *p++ = hex[(number >> shift) & 15];
    memcpy(p, G.middle, G.middle_len);
    p += G.middle_len;
    char digits[20];
    int k = 20;
    do {
        digits[--k] = (char)('0' + number % 10);
        number /= 10;
    } while (number);
    memcpy(p, digits + k, (size_t)(20 - k));
    p += 20 - k;
    memcpy(p, env_tail, sizeof env_tail - 1);
    p += sizeof env_tail - 1;
    return (size_t)(p - L->env);
}

static void pend_append(conn_t *c, const char *buf, size_t len) {
    if (c->pend_off && c->pend_off == c->pend_len) c->pend_off = c->pend_len = 0;
    if (c->pend_len + len > c->pend_cap) {
        uint32_t cap = c->pend_cap ? c->pend_cap : 1024;
        while (cap < c->pend_len + len) cap *= 2;
        char *grown = realloc(c->pend, cap);
        if (!grown) {
            perror("agi-load-c: realloc");
            exit(1);
        }
        c->pend = grown;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, buf, len);
    c->pend_len += (uint32_t)len;
}

static void wheel_unlink(loop_t *L, conn_t *c) {
    int32_t s = c->wslot;
    if (c->wprev >= 0) L->conns[c->wprev].wnext = c->wnext; else L->whead[s] = c->wnext;
    if (c->wnext >= 0) L->conns[c->wnext].wprev = c->wprev; else L->wtail[s] = c->wprev;
    c->wslot = c->wnext = c->wprev = -1;
}

/// channelInactive: the connection of an active session is closed.
static void close_conn(loop_t *L, conn_t *c) {
    if (c->wslot >= 0) wheel_unlink(L, c);
    c->preply = NULL;
    close(c->fd);
    c->fd = -1;
    c->pend_off = c->pend_len = 0;
    if (c->state == ST_RUNNING)
        add_error(L, E_INCOMPLETE, "the connection closed after %d commands", c->step);
    else if (c->state == ST_HELD)
        add_error(L, E_DROPPED, "the connection of a held session closed");
    c->state = ST_FINISHED;
    L->live--;
    session_ended(L, c, now_ns());
}

static void socket_error(loop_t *L, conn_t *c, int err) {
    if (c->state == ST_RUNNING || c->state == ST_HELD) {
        add_error(L, E_SOCKET, "socket: %s", strerror(err));
        c->state = ST_FINISHED;
    }
    close_conn(L, c);
}

/// Writes `buf` (or queues what the kernel does not take). -1: the connection was closed.
static int send_out(loop_t *L, conn_t *c, const char *buf, size_t len) {
    if (c->pend_len > c->pend_off) {
        pend_append(c, buf, len);
        return 0;
    }
    ssize_t n;
    do n = send(c->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len) return 0;
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            socket_error(L, c, errno);
            return -1;
        }
        n = 0;
    }
    pend_append(c, buf + n, len - (size_t)n);
    return 0;
}

static int flush_pend(loop_t *L, conn_t *c) {
    while (c->pend_len > c->pend_off) {
        ssize_t n = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            socket_error(L, c, errno);
            return -1;
        }
        c->pend_off += (uint32_t)n;
    }
    c->pend_off = c->pend_len = 0;
    return 0;
}

/// Opens a connection for a new session on `c`. -1: failed at once (counted).
static int start_session(loop_t *L, conn_t *c) {
    L->started++;
    c->gen++;
    int fd = socket(G.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        add_error(L, E_CONNECT, "connect: socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, &G.addr.sa, G.addrlen) < 0 && errno != EINPROGRESS) {
        add_error(L, E_CONNECT, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = ST_CONNECTING;
    c->completed = c->was_held = 0;
    c->inlen = 0;
    c->step = c->session_errors = 0;
    c->key_pos = 0;
    c->got_ticket = c->got_action = 0;
    c->preply = NULL;
    c->pend_off = c->pend_len = 0;
    c->connect_at = L->now;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = conn_tag(L, c)};
    if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        add_error(L, E_CONNECT, "connect: epoll_ctl: %s", strerror(errno));
        close(fd);
        c->fd = -1;
        c->state = ST_FREE;
        return -1;
    }
    L->connecting++;
    return 0;
}

static void schedule_retry(loop_t *L, conn_t *c) {
    c->state = ST_RETRY;
    int tail = (L->rhead + L->rcount) % L->nconns;
    L->rq[tail] = (int32_t)(c - L->conns);
    L->rdue[tail] = now_ns() + 10 * NS_PER_MS; // try again shortly rather than spin on a refused port
    L->rcount++;
}

static void closed_connect(loop_t *L, conn_t *c) {
    if (start_session(L, c) < 0) schedule_retry(L, c);
}

/// Closed loop: a slot's session is over; start the next one while the run lasts.
static void slot_free(loop_t *L, conn_t *c, uint64_t now) {
    if (now < G.window_end) {
        closed_connect(L, c);
    } else {
        c->state = ST_FREE;
        L->running_slots--;
    }
}

/// A connect that was under way failed (counted by the caller).
static void connect_failed(loop_t *L, conn_t *c) {
    close(c->fd);
    c->fd = -1;
    L->connecting--;
    if (L->closed_mode) {
        schedule_retry(L, c);
    } else {
        c->state = ST_FREE;
        L->opening--;
        open_more(L);
    }
}

static void session_ended(loop_t *L, conn_t *c, uint64_t now) {
    if (c->completed) {
        L->completed++;
        if (now >= G.window_start && now < G.window_end) L->completed_in_window++;
    }
    if (L->closed_mode) {
        slot_free(L, c, now);
    } else {
        c->state = ST_FREE;
        if (c->was_held) {
            L->held--;
        } else {
            L->opening--;
            open_more(L);
        }
    }
}

/// Idle: starts sessions until `window` are being set up at once.
static void open_more(loop_t *L) {
    while (L->opening < L->window && L->waiting > 0) {
        conn_t *c = &L->conns[L->next_conn++];
        L->waiting--;
        L->opening++;
        if (start_session(L, c) < 0) {
            c->state = ST_FREE;
            L->opening--;
        }
    }
    if (L->opening == 0 && L->waiting == 0 && !L->opened_signalled) {
        L->opened_signalled = 1;
        publish(L); // the figures the main thread reads once all are open
        atomic_store_explicit(&L->pub_opened, 1, memory_order_release);
        uint64_t one = 1;
        if (write(main_evfd, &one, sizeof one) < 0) { /* the main thread also polls */ }
    }
}

static void on_connected(loop_t *L, conn_t *c) {
    L->connecting--;
    L->live++;
    c->state = ST_RUNNING;
    size_t len = build_env(L);
    c->sent_at = now_ns();
    send_out(L, c, L->env, len);
}

static inline uint64_t jittered(loop_t *L, uint64_t ns) {
    L->rng ^= L->rng << 13;
    L->rng ^= L->rng >> 7;
    L->rng ^= L->rng << 17;
    return ns / 2 + L->rng % (ns + 1);
}

static void wheel_insert(loop_t *L, conn_t *c, uint64_t delay) {
    if (c->wslot >= 0) wheel_unlink(L, c);
    uint64_t wanted = (now_ns() + delay) / NS_PER_MS;
    uint64_t lo = L->wtick + 1, hi = L->wtick + (uint64_t)L->wlen - 1;
    uint64_t due = wanted < lo ? lo : wanted > hi ? hi : wanted;
    int32_t s = (int32_t)(due % (uint64_t)L->wlen), i = (int32_t)(c - L->conns);
    c->wslot = s;
    c->wnext = -1;
    c->wprev = L->wtail[s];
    if (L->wtail[s] >= 0) L->conns[L->wtail[s]].wnext = i; else L->whead[s] = i;
    L->wtail[s] = i;
}

static void tick(loop_t *L) {
    uint64_t expirations;
    if (read(L->tfd, &expirations, sizeof expirations) < 0) { /* EAGAIN: nothing due */ }
    uint64_t now = now_ns() / NS_PER_MS;
    while (L->wtick < now) {
        L->wtick++;
        int s = (int)(L->wtick % (uint64_t)L->wlen);
        int32_t i = L->whead[s];
        L->whead[s] = L->wtail[s] = -1;
        while (i >= 0) {
            conn_t *c = &L->conns[i];
            i = c->wnext;
            c->wslot = c->wnext = c->wprev = -1;
            const char *reply = c->preply;
            if (!reply) continue;
            c->preply = NULL;
            if (c->state != ST_RUNNING) continue;
            c->sent_at = now_ns();
            send_out(L, c, reply, c->preply_len);
        }
    }
}

// MARK: --ivr: Asterisk's answers to Helpline's menu

static char key_played[256][40]; // STREAM FILE interrupted by the key
static char key_waited[256][24]; // WAIT FOR DIGIT answered with the key
static const char played_out[] = "200 result=0 endpos=16000\n";
static const char silence[] = "200 result=0\n";
static const char recorded[] = "200 result=0 (timeout) endpos=16000\n";
static const char accepted[] = "200 result=1\n";
static const char hung_up[] = "200 result=1\nHANGUP\n";

static void ivr_setup(void) {
    for (int k = 1; k < 256; k++) {
        snprintf(key_played[k], sizeof key_played[k], "200 result=%d endpos=8000\n", k);
        snprintf(key_waited[k], sizeof key_waited[k], "200 result=%d\n", k);
    }
    G.nkeys = 0;
    for (const char *p = G.ivr;; p++) {
        if (G.nkeys >= (int)sizeof G.keys - 1) fail("--ivr: too many keys");
        if (*p == ',' || *p == 0) {
            G.keys[G.nkeys++] = -1;
            if (*p == 0) break;
        } else if ((*p >= '0' && *p <= '9') || *p == '*' || *p == '#') {
            G.keys[G.nkeys++] = (signed char)*p;
        } else {
            fail("--ivr: '%c' is not a key (0-9, * and #, groups separated by commas)", *p);
        }
    }
}

static inline int starts(const char *line, size_t len, const char *prefix, size_t plen) {
    return len >= plen && memcmp(line, prefix, plen) == 0;
}

/// The n-th space-separated word of `line` (quotes kept), as a pointer and length; 0 if absent.
static size_t word(const char *line, size_t len, int n, const char **out) {
    size_t i = 0;
    for (int w = 0; i < len; w++) {
        while (i < len && line[i] == ' ') i++;
        size_t start = i;
        if (i < len && line[i] == '"') {
            i++;
            while (i < len && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
            if (i < len) i++;
        } else {
            while (i < len && line[i] != ' ') i++;
        }
        if (w == n) {
            *out = line + start;
            return i > len ? len - start : i - start;
        }
    }
    return 0;
}

/// The next scripted key for a prompt or wait: the key, -1 for a silence, -2 when none are left.
static inline int next_key(conn_t *c) { return c->key_pos < G.nkeys ? G.keys[c->key_pos++] : -2; }

/// What Asterisk answers to one command of Helpline's menu (CallPlayer's replies).
static const char *ivr_reply(loop_t *L, conn_t *c, const char *line, size_t len, size_t *out_len) {
    c->step++;
    const char *reply;
    if (starts(line, len, S("STREAM FILE "))) {
        const char *escape;
        size_t elen = word(line, len, 3, &escape);
        if (elen >= 2 && escape[0] == '"') { escape++; elen -= 2; }
        int key = elen > 0 ? next_key(c) : -2;
        reply = key > 0 && memchr(escape, key, elen) ? key_played[key] : played_out;
    } else if (starts(line, len, S("WAIT FOR DIGIT"))) {
        int key = next_key(c);
        reply = key > 0 ? key_waited[key] : silence;
    } else if (starts(line, len, S("SET VARIABLE "))) {
        const char *name, *value;
        size_t nlen = word(line, len, 2, &name), vlen = word(line, len, 3, &value);
        if (nlen == 15 && memcmp(name, "HELPLINE_TICKET", 15) == 0)
            c->got_ticket = vlen > 2 || (vlen > 0 && value[0] != '"');
        else if (nlen == 15 && memcmp(name, "HELPLINE_ACTION", 15) == 0)
            c->got_action = vlen > 0;
        reply = accepted;
    } else if (starts(line, len, S("RECORD FILE "))) {
        reply = recorded;
    } else if (starts(line, len, S("SAY ")) || starts(line, len, S("ANSWER")) || starts(line, len, S("NOOP")) ||
               starts(line, len, S("VERBOSE "))) {
        reply = silence;
    } else if (starts(line, len, S("GET VARIABLE ")) || starts(line, len, S("GET FULL VARIABLE "))) {
        reply = "200 result=0\n";
    } else if (len == 6 && memcmp(line, "HANGUP", 6) == 0) {
        reply = hung_up;
    } else {
        c->session_errors++;
        add_error(L, E_UNKNOWN, "command %d unknown to this player: '%.*s'", c->step, (int)(len > 160 ? 160 : len), line);
        reply = unknown_reply;
    }
    *out_len = strlen(reply);
    return reply;
}

/// Sends Asterisk's answer now, or after the think time (a prompt playing).
static void reply(loop_t *L, conn_t *c, const char *answer, size_t answer_len) {
    if (G.think_ns == 0) {
        c->sent_at = now_ns();
        send_out(L, c, answer, answer_len);
    } else {
        c->preply = answer;
        c->preply_len = answer_len;
        wheel_insert(L, c, jittered(L, G.think_ns));
    }
}

/// One command line from the server (without its LF).
static void handle_line(loop_t *L, conn_t *c, const char *line, size_t len) {
    uint64_t now = now_ns();
    switch (c->state) {
    case ST_RUNNING:
        break;
    case ST_HELD:
        c->session_errors++;
        add_error(L, E_PROTOCOL, "a command arrived before the previous one was answered: '%.*s'", (int)(len > 160 ? 160 : len), line);
        return;
    default:
        return; // Asterisk answers 511 after a hangup; the session is not measured any more.
    }
    if (now >= G.window_start && now < G.window_end) {
        uint64_t latency = now - c->sent_at;
        hist_record(&L->latency, latency);
        hist_record(c->step == 0 ? &L->first : &L->later, latency);
        if (L->steps && c->step < IVR_STEPS) {
            hist_record(&L->steps[c->step], latency);
            if (!L->step_names[c->step][0])
                snprintf(L->step_names[c->step], sizeof L->step_names[0], "%.*s", (int)(len > 44 ? 44 : len), line);
        }
        L->commands++;
    }
    if (G.ivr) {
        size_t answer_len;
        const char *answer = ivr_reply(L, c, line, len, &answer_len);
        reply(L, c, answer, answer_len);
        return;
    }
    int index = c->step++;
    int rule;
    if (index < COMMANDS && len == expected[index].len && memcmp(line, expected[index].text, len) == 0) {
        rule = expected_rule[index];
    } else {
        rule = rule_for(line, len);
        c->session_errors++;
        if (rule < 0)
            add_error(L, E_UNKNOWN, "command %d unknown to Asterisk: '%.*s'", index + 1, (int)(len > 160 ? 160 : len), line);
        else
            add_error(L, E_MISMATCH, "command %d is not the script's: '%.*s'", index + 1, (int)(len > 160 ? 160 : len), line);
    }
    if (!L->closed_mode && c->step >= 2) {
        // Idle: the second command is left unanswered, like a long prompt playing.
        c->state = ST_HELD;
        c->was_held = 1;
        L->opening--;
        L->held++;
        open_more(L);
        return;
    }
    reply(L, c, rule >= 0 ? rules[rule].reply : unknown_reply, rule >= 0 ? rules[rule].rlen : sizeof unknown_reply - 1);
}

/// The server closed its side: the script is over. Asterisk writes its final HANGUP and closes.
static void on_eof(loop_t *L, conn_t *c) {
    if (c->state == ST_RUNNING && G.ivr) {
        uint64_t now = now_ns();
        if (now >= G.window_start && now < G.window_end) hist_record(&L->closing, now - c->sent_at);
        if (c->got_ticket && c->got_action && c->session_errors == 0)
            c->completed = 1;
        else if (c->session_errors == 0)
            add_error(L, E_INCOMPLETE, "the daemon ended the call after %d commands without handing over a ticket%s",
                      c->step, c->got_action ? "" : " and an action");
    } else if (c->state == ST_RUNNING) {
        if (c->step == COMMANDS && c->session_errors == 0)
            c->completed = 1;
        else if (c->step != COMMANDS)
            add_error(L, E_INCOMPLETE, "the server closed the session after %d of %d commands", c->step, COMMANDS);
    } else if (c->state == ST_HELD) {
        add_error(L, E_DROPPED, "the server closed a held session");
    }
    c->state = ST_FINISHED;
    if (c->pend_len > c->pend_off) flush_pend(L, c); // best effort
    if (c->fd >= 0) {
        if (send(c->fd, hangup_notice, sizeof hangup_notice - 1, MSG_NOSIGNAL) < 0) { /* the server is gone: fine */ }
        close_conn(L, c);
    }
}

static void do_read(loop_t *L, conn_t *c, uint32_t events) {
    uint32_t gen = c->gen;
    for (;;) {
        size_t space = INBUF - c->inlen;
        ssize_t n = read(c->fd, c->inbuf + c->inlen, space);
        if (n > 0) {
            size_t end = c->inlen + (size_t)n;
            char *p = c->inbuf, *stop = c->inbuf + end, *nl;
            while ((nl = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
                handle_line(L, c, p, (size_t)(nl - p));
                if (c->fd < 0 || c->gen != gen) return; // closed while answering
                p = nl + 1;
            }
            size_t rest = (size_t)(stop - p);
            if (rest && p != c->inbuf) memmove(c->inbuf, p, rest);
            c->inlen = (uint16_t)rest;
            if (rest == INBUF) {
                add_error(L, E_PROTOCOL, "more than %d bytes without a line end", INBUF);
                c->state = ST_FINISHED;
                close_conn(L, c);
                return;
            }
            // Edge-triggered: a short read drained the socket, and anything arriving later
            // raises a new event; but a FIN already reported with this event must be read now.
            if ((size_t)n < space && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
            continue;
        }
        if (n == 0) {
            on_eof(L, c);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        socket_error(L, c, errno);
        return;
    }
}

static void conn_event(loop_t *L, conn_t *c, uint32_t events) {
    uint32_t gen = c->gen;
    if (c->state == ST_CONNECTING) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            add_error(L, E_CONNECT, "connect: %s", strerror(err ? err : ECONNREFUSED));
            connect_failed(L, c);
            return;
        }
        if (!(events & EPOLLOUT)) return;
        on_connected(L, c);
        if (c->fd < 0 || c->gen != gen) return;
    } else if (c->fd < 0) {
        return;
    }
    if ((events & EPOLLOUT) && c->pend_len > c->pend_off) {
        if (flush_pend(L, c) < 0) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) do_read(L, c, events);
}

/// Every open session's caller hangs up (HANGUP, then wait for the server to close).
static void hang_up_all(loop_t *L, int count_stalled) {
    for (int i = 0; i < L->nconns; i++) {
        conn_t *c = &L->conns[i];
        if (c->fd < 0 || c->state == ST_CONNECTING) continue;
        if (count_stalled) add_error(L, E_STALLED, "a session was still running at the end of the run");
        if (c->state == ST_RUNNING || c->state == ST_HELD) {
            c->state = ST_HANGINGUP;
            send_out(L, c, hangup_notice, sizeof hangup_notice - 1);
        }
    }
}

/// Closes whatever is still open.
static void abort_all(loop_t *L) {
    for (int i = 0; i < L->nconns; i++) {
        conn_t *c = &L->conns[i];
        if (c->fd < 0) continue;
        if (c->state == ST_CONNECTING) {
            close(c->fd);
            c->fd = -1;
            c->state = ST_FREE;
            L->connecting--;
            if (L->closed_mode) L->running_slots--; else L->opening--;
        } else {
            c->state = ST_FINISHED;
            close_conn(L, c);
        }
    }
}

static void publish(loop_t *L) {
    atomic_store_explicit(&L->pub_completed, L->completed, memory_order_relaxed);
    atomic_store_explicit(&L->pub_errors, error_total(L->errors), memory_order_relaxed);
    atomic_store_explicit(&L->pub_live, L->live, memory_order_relaxed);
    atomic_store_explicit(&L->pub_active, L->closed_mode ? L->running_slots : L->opening, memory_order_relaxed);
    atomic_store_explicit(&L->pub_held, L->held, memory_order_relaxed);
}

static void *run_loop(void *arg) {
    loop_t *L = arg;
    struct epoll_event events[512];
    uint64_t drain_deadline = G.window_end + G.grace;
    L->now = now_ns();
    L->next_scan = L->now + NS_PER_S;
    if (L->tfd >= 0) L->wtick = L->now / NS_PER_MS;
    if (L->closed_mode) {
        L->running_slots = L->nconns;
        for (int i = 0; i < L->nconns; i++) closed_connect(L, &L->conns[i]);
    } else {
        open_more(L);
    }
    for (;;) {
        publish(L);
        if (L->closed_mode ? L->running_slots == 0 : (L->hanging_up && L->live == 0 && L->connecting == 0)) break;

        uint64_t now = now_ns(), deadline = UINT64_MAX;
        if (L->rcount && L->rdue[L->rhead] < deadline) deadline = L->rdue[L->rhead];
        if (L->connecting && L->next_scan < deadline) deadline = L->next_scan;
        if (L->closed_mode && !L->hanging_up && now >= G.window_end && drain_deadline < deadline) deadline = drain_deadline;
        if (L->hanging_up && !L->aborted && L->abort_at < deadline) deadline = L->abort_at;
        int timeout = 100;
        if (deadline != UINT64_MAX) {
            uint64_t ms = deadline <= now ? 0 : (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
            if (ms < 100) timeout = (int)ms;
        }
        int n = epoll_wait(L->epfd, events, (int)(sizeof events / sizeof events[0]), timeout);
        if (n < 0 && errno != EINTR) {
            perror("agi-load-c: epoll_wait");
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            if (tag == TAG_TIMER) {
                tick(L);
            } else if (tag == TAG_EVFD) {
                uint64_t value;
                if (read(L->evfd, &value, sizeof value) < 0) { /* spurious */ }
            } else {
                conn_t *c = &L->conns[(uint32_t)tag];
                if (c->gen == (uint32_t)(tag >> 32) && c->fd >= 0) conn_event(L, c, events[i].events);
            }
        }

        L->now = now = now_ns();
        while (L->rcount && L->rdue[L->rhead] <= now) {
            conn_t *c = &L->conns[L->rq[L->rhead]];
            L->rhead = (L->rhead + 1) % L->nconns;
            L->rcount--;
            slot_free(L, c, now);
        }
        if (L->connecting && now >= L->next_scan) {
            L->next_scan = now + NS_PER_S;
            for (int i = 0; i < L->nconns; i++) {
                conn_t *c = &L->conns[i];
                if (c->state == ST_CONNECTING && now - c->connect_at >= 10 * NS_PER_S) {
                    add_error(L, E_CONNECT, "connect: timed out after 10 s");
                    connect_failed(L, c);
                }
            }
        }
        if (L->closed_mode) {
            // Let the sessions under way finish, then hang up any that do not.
            if (!L->hanging_up && now >= drain_deadline && L->running_slots > 0) {
                L->hanging_up = 1;
                L->abort_at = now + 2 * NS_PER_S;
                hang_up_all(L, 1);
            }
        } else if (!L->hanging_up && atomic_load_explicit(&L->cmd_hangup, memory_order_acquire)) {
            L->hanging_up = 1;
            L->abort_at = now + 5 * NS_PER_S;
            hang_up_all(L, 0);
        }
        if (L->hanging_up && !L->aborted && now >= L->abort_at) {
            L->aborted = 1;
            abort_all(L);
        }
    }
    publish(L);
    return NULL;
}

// MARK: /proc and formatting

typedef struct {
    int ok;
    long rss_kb, hwm_kb, voluntary, involuntary;
    double cpu;
} proc_figures;

static ssize_t read_small_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        if (len == cap - 1) break;
    }
    close(fd);
    buf[len] = 0;
    return (ssize_t)len;
}

static long status_field(const char *status, const char *name) {
    const char *p = status;
    size_t n = strlen(name);
    while (p && *p) {
        if (strncmp(p, name, n) == 0) return strtol(p + n, NULL, 10);
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

static proc_figures read_proc(int pid) {
    proc_figures f = {0};
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (read_small_file(path, buf, sizeof buf) < 0) return f;
    f.ok = 1;
    f.rss_kb = status_field(buf, "VmRSS:");
    f.hwm_kb = status_field(buf, "VmHWM:");
    // Context switches are counted per thread.
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
            char task[300];
            snprintf(task, sizeof task, "/proc/%d/task/%s/status", pid, entry->d_name);
            if (read_small_file(task, buf, sizeof buf) < 0) continue;
            f.voluntary += status_field(buf, "voluntary_ctxt_switches:");
            f.involuntary += status_field(buf, "nonvoluntary_ctxt_switches:");
        }
        closedir(dir);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_small_file(path, buf, sizeof buf) > 0) {
        // Fields after "pid (comm)": state is field 3, utime 14, stime 15.
        char *p = strrchr(buf, ')');
        if (p) {
            p++;
            char *save = NULL, *field = strtok_r(p, " ", &save);
            double user = 0, sys = 0;
            for (int i = 0; field; i++, field = strtok_r(NULL, " ", &save)) {
                if (i == 11) user = strtod(field, NULL);
                if (i == 12) {
                    sys = strtod(field, NULL);
                    f.cpu = (user + sys) / (double)sysconf(_SC_CLK_TCK);
                    break;
                }
            }
        }
    }
    return f;
}

static double own_cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

/// A number with a fixed count of decimals, rounded half away from zero (as agi-load's fixed()).
/// Returns one of a ring of static buffers (main thread only).
static const char *fx(double value, int decimals) {
    static char ring[32][48];
    static int next;
    char *out = ring[next++ % 32];
    if (value != value || value > 9e15 || value < -9e15) {
        snprintf(out, 48, "%g", value);
        return out;
    }
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++) scale *= 10;
    double magnitude = value < 0 ? -value : value;
    uint64_t scaled = (uint64_t)(magnitude * (double)scale + 0.5);
    const char *sign = value < 0 && scaled != 0 ? "-" : "";
    if (decimals == 0)
        snprintf(out, 48, "%s%llu", sign, (unsigned long long)scaled);
    else
        snprintf(out, 48, "%s%llu.%0*llu", sign, (unsigned long long)(scaled / scale), decimals,
                 (unsigned long long)(scaled % scale));
    return out;
}

static const char *us(uint64_t ns) { return fx((double)ns / 1000, 1); }

static void sleep_until(uint64_t deadline) {
    struct timespec t = {.tv_sec = (time_t)(deadline / NS_PER_S), .tv_nsec = (long)(deadline % NS_PER_S)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {}
}

static uint64_t raise_file_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        struct rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return (uint64_t)limit.rlim_cur;
}

// MARK: Setup

static long parse_integer(const char *name, const char *text) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < 0) fail("%s: '%s' is not a whole number", name, text);
    return v;
}

static double parse_seconds(const char *name, const char *text) {
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || v != v || v < 0) fail("%s: '%s' is not a number", name, text);
    return v;
}

static int at_least_one(long v) { return v < 1 ? 1 : (int)v; }

static void parse(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (fail("%s needs a value", a), ""))
        if (!strcmp(a, "--host")) G.host = VALUE();
        else if (!strcmp(a, "--port")) G.port = (int)parse_integer(a, VALUE());
        else if (!strcmp(a, "--threads")) G.threads = at_least_one(parse_integer(a, VALUE()));
        else if (!strcmp(a, "--concurrency")) G.concurrency = at_least_one(parse_integer(a, VALUE()));
        else if (!strcmp(a, "--duration")) G.duration = parse_seconds(a, VALUE());
        else if (!strcmp(a, "--warmup")) G.warmup = parse_seconds(a, VALUE());
        else if (!strcmp(a, "--think")) G.think_ms = parse_seconds(a, VALUE());
        else if (!strcmp(a, "--idle")) G.idle = at_least_one(parse_integer(a, VALUE()));
        else if (!strcmp(a, "--hold")) G.hold = parse_seconds(a, VALUE());
        else if (!strcmp(a, "--open-window")) G.open_window = at_least_one(parse_integer(a, VALUE()));
        else if (!strcmp(a, "--server-pid")) G.server_pid = (int)parse_integer(a, VALUE());
        else if (!strcmp(a, "--ivr")) G.ivr = VALUE();
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        } else fail("unknown argument '%s'", a);
#undef VALUE
    }
    if (G.port <= 0) fail("--port is required");
    if ((G.concurrency == 0) == (G.idle == 0)) fail("give either --concurrency or --idle");
    if (G.ivr && G.idle) fail("--ivr runs with --concurrency, not --idle");
    memset(&G.addr, 0, sizeof G.addr);
    if (inet_pton(AF_INET, G.host, &G.addr.in4.sin_addr) == 1) {
        G.family = AF_INET;
        G.addr.in4.sin_family = AF_INET;
        G.addr.in4.sin_port = htons((uint16_t)G.port);
        G.addrlen = sizeof G.addr.in4;
    } else if (inet_pton(AF_INET6, G.host, &G.addr.in6.sin6_addr) == 1) {
        G.family = AF_INET6;
        G.addr.in6.sin6_family = AF_INET6;
        G.addr.in6.sin6_port = htons((uint16_t)G.port);
        G.addrlen = sizeof G.addr.in6;
    } else {
        fail("--host must be an IP address: '%s'", G.host);
    }
}

static int share(int total, int index, int parts) { return total / parts + (index < total % parts ? 1 : 0); }

static loop_t *make_loops(int count_each_total, int window) {
    loop_t *loops = calloc((size_t)G.threads, sizeof(loop_t));
    if (!loops) {
        perror("agi-load-c: calloc");
        exit(1);
    }
    for (int t = 0; t < G.threads; t++) {
        loop_t *L = &loops[t];
        L->index = t;
        L->closed_mode = G.concurrency > 0;
        L->nconns = share(count_each_total, t, G.threads);
        L->conns = calloc(L->nconns ? (size_t)L->nconns : 1, sizeof(conn_t));
        L->rq = calloc(L->nconns ? (size_t)L->nconns : 1, sizeof(int32_t));
        L->rdue = calloc(L->nconns ? (size_t)L->nconns : 1, sizeof(uint64_t));
        if (!L->conns || !L->rq || !L->rdue) {
            perror("agi-load-c: calloc");
            exit(1);
        }
        for (int i = 0; i < L->nconns; i++) {
            L->conns[i].fd = -1;
            L->conns[i].wslot = L->conns[i].wnext = L->conns[i].wprev = -1;
        }
        if (G.ivr) {
            L->steps = calloc(IVR_STEPS, sizeof(hist_t));
            L->step_names = calloc(IVR_STEPS, sizeof L->step_names[0]);
            if (!L->steps || !L->step_names) {
                perror("agi-load-c: calloc");
                exit(1);
            }
        }
        L->number = (uint64_t)t;
        L->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
        L->waiting = L->closed_mode ? 0 : L->nconns;
        L->window = window;
        L->epfd = epoll_create1(EPOLL_CLOEXEC);
        L->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (L->epfd < 0 || L->evfd < 0) {
            perror("agi-load-c: epoll/eventfd");
            exit(1);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_EVFD};
        epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->evfd, &ev);
        L->tfd = -1;
        if (G.think_ns > 0) {
            // Held-back replies wait in a wheel of 1 ms slots driven by one timer per loop.
            L->wlen = (int)(G.think_ns * 3 / 2 / NS_PER_MS) + 4;
            L->whead = malloc((size_t)L->wlen * sizeof(int32_t));
            L->wtail = malloc((size_t)L->wlen * sizeof(int32_t));
            if (!L->whead || !L->wtail) {
                perror("agi-load-c: malloc");
                exit(1);
            }
            for (int i = 0; i < L->wlen; i++) L->whead[i] = L->wtail[i] = -1;
            L->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
            struct itimerspec spec = {.it_interval = {0, (long)NS_PER_MS}, .it_value = {0, (long)NS_PER_MS}};
            if (L->tfd < 0 || timerfd_settime(L->tfd, 0, &spec, NULL) < 0) {
                perror("agi-load-c: timerfd");
                exit(1);
            }
            struct epoll_event tev = {.events = EPOLLIN, .data.u64 = TAG_TIMER};
            epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->tfd, &tev);
        }
    }
    return loops;
}

static void start_loops(loop_t *loops) {
    for (int t = 0; t < G.threads; t++) {
        int rc = pthread_create(&loops[t].thread, NULL, run_loop, &loops[t]);
        if (rc) {
            fprintf(stderr, "agi-load-c: pthread_create: %s\n", strerror(rc));
            exit(1);
        }
    }
}

static void join_loops(loop_t *loops) {
    for (int t = 0; t < G.threads; t++) pthread_join(loops[t].thread, NULL);
}

typedef struct {
    hist_t latency, first, later, closing;
    uint64_t commands, completed_in_window, completed, errors[E_KINDS];
    int nsamples;
    const char *samples[5];
    int live, held;
} totals_t;

static totals_t *merge(loop_t *loops) {
    static totals_t t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < G.threads; i++) {
        loop_t *L = &loops[i];
        hist_merge(&t.latency, &L->latency);
        hist_merge(&t.first, &L->first);
        hist_merge(&t.later, &L->later);
        hist_merge(&t.closing, &L->closing);
        t.commands += L->commands;
        t.completed_in_window += L->completed_in_window;
        t.completed += L->completed;
        for (int k = 0; k < E_KINDS; k++) t.errors[k] += L->errors[k];
        for (int s = 0; s < L->nsamples && t.nsamples < 5; s++) t.samples[t.nsamples++] = L->samples[s];
        t.live += L->live;
        t.held += L->held;
    }
    return &t;
}

static void print_errors(const totals_t *t) {
    const uint64_t *e = t->errors;
    printf("  errors               %llu (connect %llu, mismatch %llu, unknown %llu, incomplete %llu, socket %llu, "
           "protocol %llu, dropped %llu, stalled %llu)\n",
           (unsigned long long)error_total(e), (unsigned long long)e[E_CONNECT], (unsigned long long)e[E_MISMATCH],
           (unsigned long long)e[E_UNKNOWN], (unsigned long long)e[E_INCOMPLETE], (unsigned long long)e[E_SOCKET],
           (unsigned long long)e[E_PROTOCOL], (unsigned long long)e[E_DROPPED], (unsigned long long)e[E_STALLED]);
    for (int i = 0; i < t->nsamples; i++) printf("    e.g. %s\n", t->samples[i]);
}

// MARK: Closed loop

static void closed_loop(void) {
    printf("agi-load-c: %sclosed loop, %d channels on %d thread(s) against %s:%d, warmup %s s, measuring %s s%s%s%s\n",
           G.ivr ? "Helpline's /inbound menu, " : "", G.concurrency, G.threads, G.host, G.port, fx(G.warmup, 1), fx(G.duration, 1),
           G.think_ms > 0 ? ", think " : "", G.think_ms > 0 ? fx(G.think_ms, 1) : "",
           G.think_ms > 0 ? " ms \xc2\xb1" "50 %" : "");
    uint64_t start = now_ns();
    G.window_start = start + (uint64_t)(G.warmup * 1e9);
    G.window_end = G.window_start + (uint64_t)(G.duration * 1e9);
    G.grace = 5 * NS_PER_S + 16 * G.think_ns;
    loop_t *loops = make_loops(G.concurrency, 0);
    start_loops(loops);

    proc_figures server_start = {0}, server_end = {0}, server_after = {0};
    double own_start = 0;
    uint64_t tick = start, last_completed = 0;
    int measuring = 0;
    for (;;) {
        uint64_t next = tick + NS_PER_S < G.window_end ? tick + NS_PER_S : G.window_end;
        if (!measuring && next > G.window_start) {
            sleep_until(G.window_start);
            measuring = 1;
            if (G.server_pid) server_start = read_proc(G.server_pid);
            own_start = own_cpu_seconds();
        }
        sleep_until(next);
        uint64_t completed = 0, errors = 0;
        int live = 0;
        for (int t = 0; t < G.threads; t++) {
            completed += atomic_load_explicit(&loops[t].pub_completed, memory_order_relaxed);
            errors += atomic_load_explicit(&loops[t].pub_errors, memory_order_relaxed);
            live += atomic_load_explicit(&loops[t].pub_live, memory_order_relaxed);
        }
        double elapsed = (double)(next - tick) / 1e9;
        printf("  t=%s s  %s  %s sessions/s  live %d  errors %llu\n", fx((double)(next - start) / 1e9, 1),
               next <= G.window_start ? "warmup" : "measure",
               fx((double)(completed - last_completed) / (elapsed > 1e-9 ? elapsed : 1e-9), 0), live,
               (unsigned long long)errors);
        last_completed = completed;
        tick = next;
        if (next >= G.window_end) break;
    }
    if (G.server_pid) server_end = read_proc(G.server_pid);
    double own_cpu = own_cpu_seconds() - own_start;

    // The loops let the sessions under way finish, and hang up any that do not.
    join_loops(loops);
    if (G.server_pid) server_after = read_proc(G.server_pid);
    totals_t *t = merge(loops);

    double window = G.duration;
    double sessions_per_s = (double)t->completed_in_window / window;
    double commands_per_s = (double)t->commands / window;
    printf("  sessions completed   %llu in %s s = %s sessions/s\n", (unsigned long long)t->completed_in_window,
           fx(window, 1), fx(sessions_per_s, 1));
    printf("  commands answered    %llu = %s commands/s\n", (unsigned long long)t->commands, fx(commands_per_s, 1));
    print_errors(t);
    printf("  per-command latency  p50 %s \xc2\xb5s  p99 %s \xc2\xb5s  p99.9 %s \xc2\xb5s  max %s \xc2\xb5s  mean %s \xc2\xb5s  (%llu samples)\n",
           us(hist_percentile(&t->latency, 0.5)), us(hist_percentile(&t->latency, 0.99)),
           us(hist_percentile(&t->latency, 0.999)), us(t->latency.max), fx(hist_mean(&t->latency) / 1000, 1),
           (unsigned long long)t->latency.total);
    const char *names[2] = {"first command", G.ivr ? "later commands" : "commands 2-8 "};
    const hist_t *hists[2] = {&t->first, &t->later};
    for (int i = 0; i < 2; i++)
        printf("    %s      p50 %s \xc2\xb5s  p99 %s \xc2\xb5s  p99.9 %s \xc2\xb5s  max %s \xc2\xb5s\n", names[i],
               us(hist_percentile(hists[i], 0.5)), us(hist_percentile(hists[i], 0.99)),
               us(hist_percentile(hists[i], 0.999)), us(hists[i]->max));
    printf("  load tool CPU        %s s in the window (%s %% of one core)\n", fx(own_cpu, 2), fx(own_cpu / window * 100, 0));
    if (G.ivr)
        printf("    last reply to close  p50 %s \xc2\xb5s  p99 %s \xc2\xb5s  max %s \xc2\xb5s  (the daemon storing the call before Asterisk goes on)\n",
               us(hist_percentile(&t->closing, 0.5)), us(hist_percentile(&t->closing, 0.99)), us(t->closing.max));
    if (G.ivr) {
        // Which step of the menu the time goes to: the command that arrived, and the daemon's
        // time before it (after the previous reply): actions show up on the command after them.
        printf("  per step of the call (the daemon's time before each command)\n");
        static hist_t step;
        for (int i = 0; i < IVR_STEPS; i++) {
            memset(&step, 0, sizeof step);
            const char *name = "";
            for (int k = 0; k < G.threads; k++) {
                hist_merge(&step, &loops[k].steps[i]);
                if (!*name) name = loops[k].step_names[i];
            }
            if (step.total == 0) continue;
            printf("    %2d  p50 %9s \xc2\xb5s  p99 %9s \xc2\xb5s  %s\n", i + 1, us(hist_percentile(&step, 0.5)),
                   us(hist_percentile(&step, 0.99)), name);
        }
    }

    char result[2048];
    int len = snprintf(result, sizeof result,
                       "RESULT mode=%s concurrency=%d threads=%d think_ms=%s duration_s=%s sessions=%llu "
                       "sessions_per_s=%s commands=%llu commands_per_s=%s errors=%llu p50_us=%s p99_us=%s p999_us=%s "
                       "max_us=%s first_p99_us=%s later_p99_us=%s load_cpu_s=%s",
                       G.ivr ? "ivr" : "closed", G.concurrency, G.threads, fx(G.think_ms, 1), fx(window, 1),
                       (unsigned long long)t->completed_in_window, fx(sessions_per_s, 1),
                       (unsigned long long)t->commands, fx(commands_per_s, 1),
                       (unsigned long long)error_total(t->errors), us(hist_percentile(&t->latency, 0.5)),
                       us(hist_percentile(&t->latency, 0.99)), us(hist_percentile(&t->latency, 0.999)),
                       us(t->latency.max), us(hist_percentile(&t->first, 0.99)), us(hist_percentile(&t->later, 0.99)),
                       fx(own_cpu, 2));
    if (G.ivr)
        len += snprintf(result + len, sizeof result - (size_t)len, " close_p50_us=%s close_p99_us=%s",
                        us(hist_percentile(&t->closing, 0.5)), us(hist_percentile(&t->closing, 0.99)));
    if (G.server_pid) {
        proc_figures end = server_after.ok ? server_after : server_end;
        if (end.ok) {
            printf("  server pid %d       VmRSS %s MB  VmHWM %s MB", G.server_pid, fx((double)end.rss_kb / 1024, 1),
                   fx((double)end.hwm_kb / 1024, 1));
            len += snprintf(result + len, sizeof result - (size_t)len, " server_rss_mb=%s server_hwm_mb=%s",
                            fx((double)end.rss_kb / 1024, 1), fx((double)end.hwm_kb / 1024, 1));
            if (server_start.ok && server_end.ok) {
                double cpu = server_end.cpu - server_start.cpu;
                double per_session = t->completed_in_window ? cpu / (double)t->completed_in_window * 1e6 : 0;
                long switches = (server_end.voluntary + server_end.involuntary) - (server_start.voluntary + server_start.involuntary);
                printf("  CPU %s s in the window (%s \xc2\xb5s/session, %ld context switches)", fx(cpu, 2), fx(per_session, 1), switches);
                len += snprintf(result + len, sizeof result - (size_t)len,
                                " server_cpu_s=%s server_cpu_us_per_session=%s server_ctx_switches=%ld", fx(cpu, 2),
                                fx(per_session, 1), switches);
            }
            printf("\n");
        } else {
            printf("  server pid %d: /proc/%d/status is not readable\n", G.server_pid, G.server_pid);
        }
    }
    printf("%s\n", result);
}

// MARK: Idle sessions

static void idle_mode(void) {
    printf("agi-load-c: idle, %d sessions on %d thread(s) against %s:%d, held %s s once all are open\n", G.idle,
           G.threads, G.host, G.port, fx(G.hold, 1));
    G.window_start = 0;
    G.window_end = UINT64_MAX;
    int window = G.open_window / G.threads;
    if (window < 1) window = 1;
    proc_figures before = {0}, held_figures = {0}, end_of_hold = {0};
    if (G.server_pid) before = read_proc(G.server_pid);
    loop_t *loops = make_loops(G.idle, window);
    uint64_t start = now_ns();
    start_loops(loops);

    uint64_t next_progress = start + NS_PER_S;
    for (;;) {
        int opened = 0;
        for (int t = 0; t < G.threads; t++) opened += atomic_load_explicit(&loops[t].pub_opened, memory_order_acquire);
        if (opened == G.threads) break;
        uint64_t now = now_ns();
        if (now >= next_progress) {
            int held = 0, active = 0;
            uint64_t errors = 0;
            for (int t = 0; t < G.threads; t++) {
                held += atomic_load_explicit(&loops[t].pub_held, memory_order_relaxed);
                active += atomic_load_explicit(&loops[t].pub_active, memory_order_relaxed);
                errors += atomic_load_explicit(&loops[t].pub_errors, memory_order_relaxed);
            }
            printf("  opening: %d held, %d being set up, %llu errors\n", held, active, (unsigned long long)errors);
            next_progress += NS_PER_S;
            continue;
        }
        struct pollfd p = {.fd = main_evfd, .events = POLLIN};
        int wait_ms = (int)((next_progress - now + NS_PER_MS - 1) / NS_PER_MS);
        if (poll(&p, 1, wait_ms) > 0) {
            uint64_t value;
            if (read(main_evfd, &value, sizeof value) < 0) { /* raced */ }
        }
    }
    double open_seconds = (double)(now_ns() - start) / 1e9;
    int held = 0;
    uint64_t errors = 0;
    for (int t = 0; t < G.threads; t++) {
        held += atomic_load_explicit(&loops[t].pub_held, memory_order_relaxed);
        errors += atomic_load_explicit(&loops[t].pub_errors, memory_order_relaxed);
    }
    printf("  opened               %d of %d sessions held after %s s (%llu errors)\n", held, G.idle, fx(open_seconds, 2),
           (unsigned long long)errors);
    if (G.server_pid) {
        held_figures = read_proc(G.server_pid);
        if (held_figures.ok) {
            printf("  server pid %d while all are held: VmRSS %s MB  VmHWM %s MB\n", G.server_pid,
                   fx((double)held_figures.rss_kb / 1024, 1), fx((double)held_figures.hwm_kb / 1024, 1));
            if (before.ok && held > 0) {
                double per_session = (double)(held_figures.rss_kb - before.rss_kb) * 1024 / held;
                printf("    (%s MB before the run: %s KB per held session)\n", fx((double)before.rss_kb / 1024, 1),
                       fx(per_session / 1024, 1));
            }
        } else {
            printf("  server pid %d: /proc/%d/status is not readable\n", G.server_pid, G.server_pid);
        }
    }

    sleep_until(now_ns() + (uint64_t)(G.hold * 1e9));
    int held_after = 0;
    for (int t = 0; t < G.threads; t++) held_after += atomic_load_explicit(&loops[t].pub_held, memory_order_relaxed);
    printf("  held                 %d sessions still held after %s s\n", held_after, fx(G.hold, 1));
    if (G.server_pid) end_of_hold = read_proc(G.server_pid);

    uint64_t close_start = now_ns();
    for (int t = 0; t < G.threads; t++) {
        atomic_store_explicit(&loops[t].cmd_hangup, 1, memory_order_release);
        uint64_t one = 1;
        if (write(loops[t].evfd, &one, sizeof one) < 0) { /* the loop also polls */ }
    }
    join_loops(loops);
    double close_seconds = (double)(now_ns() - close_start) / 1e9;
    totals_t *t = merge(loops);
    printf("  hung up              all sessions in %s s; %d still open\n", fx(close_seconds, 2), t->live);
    print_errors(t);
    printf("  per-command latency  p50 %s \xc2\xb5s  p99 %s \xc2\xb5s  max %s \xc2\xb5s  (%llu samples, while opening)\n",
           us(hist_percentile(&t->latency, 0.5)), us(hist_percentile(&t->latency, 0.99)), us(t->latency.max),
           (unsigned long long)t->latency.total);

    char result[2048];
    int len = snprintf(result, sizeof result,
                       "RESULT mode=idle idle=%d threads=%d hold_s=%s open_s=%s held=%d errors=%llu p50_us=%s p99_us=%s max_us=%s",
                       G.idle, G.threads, fx(G.hold, 1), fx(open_seconds, 2), held_after,
                       (unsigned long long)error_total(t->errors), us(hist_percentile(&t->latency, 0.5)),
                       us(hist_percentile(&t->latency, 0.99)), us(t->latency.max));
    if (G.server_pid) {
        sleep_until(now_ns() + 500 * NS_PER_MS);
        proc_figures end = read_proc(G.server_pid);
        if (held_figures.ok && end.ok) {
            printf("  server pid %d after hang-up: VmRSS %s MB  VmHWM %s MB\n", G.server_pid,
                   fx((double)end.rss_kb / 1024, 1), fx((double)end.hwm_kb / 1024, 1));
            if (before.ok)
                len += snprintf(result + len, sizeof result - (size_t)len, " server_rss_before_mb=%s",
                                fx((double)before.rss_kb / 1024, 1));
            len += snprintf(result + len, sizeof result - (size_t)len, " server_rss_held_mb=%s",
                            fx((double)held_figures.rss_kb / 1024, 1));
            if (end_of_hold.ok)
                len += snprintf(result + len, sizeof result - (size_t)len, " server_rss_end_of_hold_mb=%s",
                                fx((double)end_of_hold.rss_kb / 1024, 1));
            len += snprintf(result + len, sizeof result - (size_t)len, " server_rss_end_mb=%s server_hwm_mb=%s",
                            fx((double)end.rss_kb / 1024, 1), fx((double)end.hwm_kb / 1024, 1));
        }
    }
    printf("%s\n", result);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    parse(argc, argv);
    for (int i = 0; i < COMMANDS; i++) expected_rule[i] = rule_for(expected[i].text, expected[i].len);
    G.think_ns = (uint64_t)(G.think_ms * 1e6);

    uint64_t file_limit = raise_file_limit();
    uint64_t needed = (uint64_t)(G.concurrency ? G.concurrency : G.idle) + 64;
    if (file_limit < needed)
        fprintf(stderr, "agi-load-c: warning: the open-file limit is %llu, fewer than the %llu this run needs\n",
                (unsigned long long)file_limit, (unsigned long long)needed);

    // The environment block of a real Asterisk 22 for AGI(agi://HOST:PORT/bench,1076,5550100)
    // (Tests/Fixtures/captures/agi/normal-session-inbound.txt): the same lines, with a unique uniqueid per session.
    const char *script = G.ivr ? "inbound" : "bench";
    if (G.ivr) ivr_setup();
    int n = snprintf(G.head, sizeof G.head,
                     "agi_network: yes\nagi_network_script: %s\nagi_request: agi://%s:%d/%s\nagi_channel: Local/s@bench-",
                     script, G.host, G.port, script);
    if (n < 0 || (size_t)n >= sizeof G.head) fail("--host is too long");
    G.head_len = (size_t)n;
    n = snprintf(G.middle, sizeof G.middle, ";1\nagi_language: en\nagi_type: Local\nagi_uniqueid: bench-%lld.",
                 (long long)time(NULL));
    G.middle_len = (size_t)n;

    main_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (main_evfd < 0) {
        perror("agi-load-c: eventfd");
        return 1;
    }
    if (G.concurrency) closed_loop(); else idle_mode();
    return 0;
}
