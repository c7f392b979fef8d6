/* loadgen: the load generator of the AnyNet echo matrix.
 *
 * One thread and one epoll set drive every connection, so the generator costs about as much CPU per message as
 * the leanest server (the C epoll ceiling) and far less than the others; it reports its own CPU use next to the
 * server's so a reader can check it was never the bottleneck.
 *
 * Modes:
 *   echo  : N connections each send S bytes, wait for all S back, verify them, repeat; warm-up W s, then measure D s.
 *   churn : N concurrent workers each connect, echo S bytes once, close, repeat (reports connections/s).
 *   idle  : open N connections, echo S bytes once on each, print "idle-ready", hold them until stdin closes or gets a line.
 *
 * Output: one line of key=value pairs (msgs, msgs_per_s, mb_per_s, p50_us, p99_us, errors, client_cpu, server_cpu...).
 * Client and server CPU are fractions of one core over the measured window (server read from /proc/<pid>/stat).
 *
 * usage: loadgen --port P [--mode echo|churn|idle] [--conns N] [--size S] [--warmup W] [--duration D]
 *                [--server-pid PID] [--sources K] [--host A.B.C.D]
 * Connections come from 127.0.0.1 .. 127.0.0.K (K source addresses) so 10k connections and churn do not run out of
 * ephemeral ports. Traffic stays on loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_FREE, ST_CONNECTING, ST_IDLE, ST_SENDING, ST_RECEIVING };
enum { MODE_ECHO, MODE_CHURN, MODE_IDLE };
enum { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_HOLD, PH_DONE };

struct conn {
    int fd;
    int state;
    int retries;
    uint32_t seq;
    size_t sent;
    size_t recvd;
    uint64_t t0;
};

#define HIST_SIZE 1024
static uint64_t s_hist[HIST_SIZE];
static uint64_t s_msgs, s_errors, s_bytes;

static int s_mode = MODE_ECHO, s_conns = 100, s_sources = 1, s_port, s_server_pid;
static size_t s_size = 1024;
static double s_warmup = 1, s_duration = 3;
static const char *s_host = "127.0.0.1";
static struct conn *s_c;
static int s_ep;
static char *s_pattern;
static char s_scratch[1 << 16];
static struct sockaddr_in s_dest;
static int s_next_source;
static int s_connected, s_connect_failed, s_echoed_once, s_in_flight_connects;
static int s_phase = PH_CONNECT;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_self(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double cpu_of(int pid) {
    if (pid <= 0) return -1;
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int hist_index(uint64_t v) {
    if (v < 16) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int idx = (msb - 3) * 16 + (int)((v >> (msb - 4)) & 15);
    return idx < HIST_SIZE ? idx : HIST_SIZE - 1;
}

static double hist_value(int idx) {
    if (idx < 16) return idx;
    int msb = idx / 16 + 3, sub = idx % 16;
    double low = (double)((uint64_t)(16 + sub) << (msb - 4));
    return low + (double)((uint64_t)1 << (msb - 4)) / 2;
}

static double percentile_us(double p) {
    uint64_t total = 0;
    for (int i = 0; i < HIST_SIZE; i++) total += s_hist[i];
    if (total == 0) return 0;
    uint64_t rank = (uint64_t)(p * (double)total);
    if (rank >= total) rank = total - 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_SIZE; i++) {
        seen += s_hist[i];
        if (seen > rank) return hist_value(i) / 1000.0;
    }
    return 0;
}

static void reset_stats(void) {
    memset(s_hist, 0, sizeof s_hist);
    s_msgs = s_errors = s_bytes = 0;
}

static void close_conn(struct conn *c) {
    if (c->fd >= 0) close(c->fd); /* close also removes it from the epoll set */
    c->fd = -1;
    c->state = ST_FREE;
}

static int start_connect(struct conn *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (s_sources > 1) {
        /* Spread over 127.0.0.1..K; the port is picked at connect time so each source has its own port range. */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(s_next_source++ % s_sources));
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
            close(fd);
            return -1;
        }
    }
    int r = connect(fd, (struct sockaddr *)&s_dest, sizeof s_dest);
    if (r < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = ST_CONNECTING;
    c->sent = c->recvd = 0;
    c->t0 = now_ns();
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(s_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        c->fd = -1;
        c->state = ST_FREE;
        return -1;
    }
    s_in_flight_connects++;
    return 0;
}

static const char *expected(struct conn *c) {
    return s_pattern + (((size_t)(c - s_c) * 7u + c->seq) & 255u);
}

static void set_events(struct conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(s_ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        s_errors++;
        close_conn(c);
    }
}

static void do_send(struct conn *c) {
    const char *msg = expected(c);
    while (c->sent < s_size) {
        ssize_t n = send(c->fd, msg + c->sent, s_size - c->sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->state != ST_SENDING) {
                c->state = ST_SENDING;
                set_events(c, EPOLLIN | EPOLLOUT);
            }
            return;
        }
        s_errors++;
        close_conn(c);
        return;
    }
    if (c->state == ST_SENDING) set_events(c, EPOLLIN);
    if (c->fd >= 0) c->state = ST_RECEIVING;
}

static void begin_message(struct conn *c) {
    c->sent = c->recvd = 0;
    c->seq++;
    c->t0 = now_ns();
    c->state = ST_RECEIVING; /* do_send switches to ST_SENDING if the kernel pushes back */
    do_send(c);
}

static void on_connected(struct conn *c) {
    s_in_flight_connects--;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        close_conn(c);
        if (s_mode == MODE_CHURN) {
            s_errors++;
            if ((s_phase == PH_WARMUP || s_phase == PH_MEASURE) && start_connect(c) < 0) s_errors++;
        } else if (++c->retries > 3) {
            s_connect_failed++;
            fprintf(stderr, "loadgen: connect failed: %s\n", strerror(err));
        } else {
            start_connect(c);
        }
        return;
    }
    if (s_mode == MODE_CHURN) {
        set_events(c, EPOLLIN);
        if (c->fd >= 0) begin_message(c);
        return;
    }
    c->state = ST_IDLE;
    s_connected++;
    set_events(c, EPOLLIN);
}

static void on_message_done(struct conn *c) {
    uint64_t t = now_ns();
    s_hist[hist_index(t - c->t0)]++;
    s_msgs++;
    s_bytes += s_size;
    if (s_mode == MODE_CHURN) {
        close_conn(c);
        if (s_phase == PH_WARMUP || s_phase == PH_MEASURE) {
            if (start_connect(c) < 0) s_errors++;
        }
        return;
    }
    if (s_mode == MODE_IDLE) {
        c->state = ST_IDLE;
        s_echoed_once++;
        return;
    }
    if (s_phase == PH_WARMUP || s_phase == PH_MEASURE) begin_message(c);
    else c->state = ST_IDLE;
}

static void on_readable(struct conn *c) {
    for (int round = 0; round < 4; round++) {
        ssize_t n = recv(c->fd, s_scratch, sizeof s_scratch, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0 || c->state == ST_IDLE || c->recvd + (size_t)n > s_size ||
            memcmp(s_scratch, expected(c) + c->recvd, (size_t)n) != 0) {
            /* end of stream, an error, bytes nobody asked for, or wrong bytes */
            if (n > 0 && s_errors < 5) fprintf(stderr, "loadgen: bad echo on connection %d\n", (int)(c - s_c));
            s_errors++;
            close_conn(c);
            if (s_mode != MODE_CHURN) s_connected--;
            else if ((s_phase == PH_WARMUP || s_phase == PH_MEASURE) && start_connect(c) < 0) s_errors++;
            return;
        }
        c->recvd += (size_t)n;
        if (c->recvd == s_size && c->sent == s_size) {
            on_message_done(c);
            return;
        }
    }
}

static int parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return -1;
        if (!strcmp(a, "--port")) s_port = atoi(v);
        else if (!strcmp(a, "--conns")) s_conns = atoi(v);
        else if (!strcmp(a, "--size")) s_size = (size_t)atol(v);
        else if (!strcmp(a, "--warmup")) s_warmup = atof(v);
        else if (!strcmp(a, "--duration")) s_duration = atof(v);
        else if (!strcmp(a, "--server-pid")) s_server_pid = atoi(v);
        else if (!strcmp(a, "--sources")) s_sources = atoi(v);
        else if (!strcmp(a, "--host")) s_host = v;
        else if (!strcmp(a, "--mode")) {
            if (!strcmp(v, "echo")) s_mode = MODE_ECHO;
            else if (!strcmp(v, "churn")) s_mode = MODE_CHURN;
            else if (!strcmp(v, "idle")) s_mode = MODE_IDLE;
            else return -1;
        } else return -1;
        i++;
    }
    if (s_port <= 0 || s_conns <= 0 || s_size == 0 || s_size > (1 << 20) || s_sources <= 0 || s_sources > 250) return -1;
    return 0;
}

int main(int argc, char **argv) {
    if (parse_args(argc, argv) < 0) {
        fprintf(stderr, "usage: %s --port P [--mode echo|churn|idle] [--conns N] [--size S] [--warmup W] [--duration D] "
                        "[--server-pid PID] [--sources K] [--host A.B.C.D]\n", argv[0]);
        return 2;
    }
    s_dest.sin_family = AF_INET;
    s_dest.sin_port = htons((uint16_t)s_port);
    if (inet_pton(AF_INET, s_host, &s_dest.sin_addr) != 1) {
        fprintf(stderr, "loadgen: bad host %s\n", s_host);
        return 2;
    }
    s_pattern = malloc(s_size + 256);
    s_c = calloc((size_t)s_conns, sizeof *s_c);
    if (!s_pattern || !s_c) return 1;
    srand(12345);
    for (size_t i = 0; i < s_size + 256; i++) s_pattern[i] = (char)(rand() & 0xff);
    for (int i = 0; i < s_conns; i++) s_c[i].fd = -1;

    s_ep = epoll_create1(EPOLL_CLOEXEC);
    if (s_ep < 0) return 1;

    const int max_connects = 256;
    uint64_t start = now_ns();
    uint64_t connect_deadline = start + 60ull * 1000000000ull;
    uint64_t phase_end = 0;
    double cpu0 = 0, scpu0 = 0, cpu1 = 0, scpu1 = 0;
    uint64_t t_measure0 = 0, t_measure1 = 0;
    int next_to_connect = 0;
    int churn_started = 0;
    int hold_deadline_s = 600;
    uint64_t final_msgs = 0, final_bytes = 0, final_errors = 0;
    static uint64_t final_hist[HIST_SIZE];
    struct epoll_event events[1024];

    while (s_phase != PH_DONE) {
        uint64_t now = now_ns();
        if (s_mode != MODE_CHURN && s_phase == PH_CONNECT) {
            while (next_to_connect < s_conns && s_in_flight_connects < max_connects) {
                struct conn *c = &s_c[next_to_connect++];
                if (start_connect(c) < 0) {
                    s_connect_failed++;
                    if (s_connect_failed <= 3) fprintf(stderr, "loadgen: socket/connect: %s\n", strerror(errno));
                }
            }
            if (s_connected + s_connect_failed >= s_conns || now > connect_deadline) {
                if (s_mode == MODE_ECHO) {
                    s_phase = PH_WARMUP;
                    phase_end = now + (uint64_t)(s_warmup * 1e9);
                    for (int i = 0; i < s_conns; i++)
                        if (s_c[i].state == ST_IDLE) begin_message(&s_c[i]);
                } else {
                    s_phase = PH_HOLD;
                    for (int i = 0; i < s_conns; i++)
                        if (s_c[i].state == ST_IDLE) begin_message(&s_c[i]);
                }
            }
        } else if (s_mode == MODE_CHURN && s_phase == PH_CONNECT) {
            s_phase = PH_WARMUP;
            phase_end = now + (uint64_t)(s_warmup * 1e9);
        }
        if (s_mode == MODE_CHURN && s_phase == PH_WARMUP && !churn_started) {
            churn_started = 1;
            for (int i = 0; i < s_conns; i++)
                if (start_connect(&s_c[i]) < 0) s_errors++;
        }
        if ((s_phase == PH_WARMUP || s_phase == PH_MEASURE) && now >= phase_end) {
            if (s_phase == PH_WARMUP) {
                reset_stats();
                s_phase = PH_MEASURE;
                phase_end = now + (uint64_t)(s_duration * 1e9);
                t_measure0 = now;
                cpu0 = cpu_self();
                scpu0 = cpu_of(s_server_pid);
            } else {
                t_measure1 = now;
                final_msgs = s_msgs;
                final_bytes = s_bytes;
                final_errors = s_errors;
                memcpy(final_hist, s_hist, sizeof s_hist);
                cpu1 = cpu_self();
                scpu1 = cpu_of(s_server_pid);
                s_phase = PH_DONE;
                break;
            }
        }
        if (s_mode == MODE_IDLE && s_phase == PH_HOLD) {
            int live = 0;
            for (int i = 0; i < s_conns; i++) live += s_c[i].state == ST_IDLE;
            if (live + s_connect_failed + (int)s_errors >= s_conns && t_measure0 == 0) {
                t_measure0 = now;
                printf("idle-ready connected=%d errors=%llu\n", live, (unsigned long long)(s_errors + (uint64_t)s_connect_failed));
                fflush(stdout);
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
                if (epoll_ctl(s_ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
                    /* stdin is not pollable: hold for a fixed time instead */
                    hold_deadline_s = 5;
                }
            }
            if (t_measure0 != 0 && now - t_measure0 > (uint64_t)hold_deadline_s * 1000000000ull) break;
            if (t_measure0 == 0 && now - start > 120ull * 1000000000ull) {
                fprintf(stderr, "loadgen: idle mode timed out before every connection echoed\n");
                break;
            }
        }

        int n = epoll_wait(s_ep, events, 1024, 50);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                /* stdin: a line or end of input releases the held connections */
                char line[64];
                ssize_t r = read(0, line, sizeof line);
                (void)r;
                s_phase = PH_DONE;
                break;
            }
            if (c->fd < 0) continue;
            if (c->state == ST_CONNECTING) {
                on_connected(c);
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
            if (c->fd >= 0 && c->state == ST_SENDING && (events[i].events & EPOLLOUT)) do_send(c);
        }
    }

    /* Let in-flight echoes finish (bounded) so the server sees orderly closes, not resets of unread data. */
    if (s_mode != MODE_IDLE) {
        uint64_t drain_end = now_ns() + 2000000000ull;
        for (;;) {
            int busy = 0;
            for (int i = 0; i < s_conns; i++) busy += s_c[i].state == ST_SENDING || s_c[i].state == ST_RECEIVING;
            if (busy == 0 || now_ns() > drain_end) break;
            int n = epoll_wait(s_ep, events, 1024, 50);
            for (int i = 0; i < n; i++) {
                struct conn *c = events[i].data.ptr;
                if (c == NULL || c->fd < 0) continue;
                if (c->state == ST_CONNECTING) {
                    s_in_flight_connects--;
                    close_conn(c);
                    continue;
                }
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
                if (c->fd >= 0 && c->state == ST_SENDING && (events[i].events & EPOLLOUT)) do_send(c);
            }
        }
    }
    for (int i = 0; i < s_conns; i++)
        if (s_c[i].fd >= 0) close_conn(&s_c[i]);

    const char *mode = s_mode == MODE_ECHO ? "echo" : s_mode == MODE_CHURN ? "churn" : "idle";
    if (s_mode == MODE_IDLE) {
        printf("mode=idle conns=%d connected=%d errors=%llu\n", s_conns, s_connected,
               (unsigned long long)(s_errors + (uint64_t)s_connect_failed));
        return 0;
    }
    s_msgs = final_msgs;
    s_bytes = final_bytes;
    s_errors = final_errors;
    memcpy(s_hist, final_hist, sizeof s_hist);
    double secs = (double)(t_measure1 - t_measure0) / 1e9;
    if (secs <= 0) secs = 1e-9;
    double ccpu = (cpu1 - cpu0) / secs;
    double scpu = s_server_pid > 0 && scpu0 >= 0 && scpu1 >= 0 ? (scpu1 - scpu0) / secs : -1;
    printf("mode=%s conns=%d size=%zu connected=%d secs=%.3f msgs=%llu msgs_per_s=%.1f mb_per_s=%.2f "
           "p50_us=%.1f p99_us=%.1f errors=%llu client_cpu=%.3f server_cpu=%.3f\n",
           mode, s_conns, s_size, s_mode == MODE_CHURN ? s_conns : s_connected, secs, (unsigned long long)s_msgs,
           (double)s_msgs / secs, (double)s_bytes / secs / 1e6, percentile_us(0.50), percentile_us(0.99),
           (unsigned long long)(s_errors + (uint64_t)s_connect_failed), ccpu, scpu);
    return 0;
}
