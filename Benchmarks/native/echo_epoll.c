/* echo_epoll: the ceiling of this machine for the AnyNet echo matrix.
 *
 * One thread, one level-triggered epoll set, non-blocking sockets, one shared receive buffer (so an idle
 * connection costs no user-space memory). Echoes every byte back; when the kernel will not take a whole
 * reply, the rest is kept for that connection and reading from it pauses until it is flushed.
 *
 * Control on stdin (the same protocol as AnyNet.Benchmarks.EchoServer): "gc" answers "gc 0",
 * "quit" or end of input exits. Prints "listening <port>" once it accepts connections.
 *
 * usage: echo_epoll <port> [bind-address]   (port 0 picks a free one)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define BUF_SIZE (64 * 1024)

struct pending {
    char *data;
    size_t len;
    size_t off;
};

static struct pending *s_pending; /* indexed by fd */
static int s_max_fd;
static char s_buf[BUF_SIZE];

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void close_conn(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    if (fd < s_max_fd) {
        free(s_pending[fd].data);
        s_pending[fd].data = NULL;
        s_pending[fd].len = s_pending[fd].off = 0;
    }
    close(fd);
}

/* Returns 0 when everything was sent, 1 when some is left (kept in s_pending), -1 on error. */
static int send_all(int fd, const char *data, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pending *p = &s_pending[fd];
            size_t rest = len - off;
            char *copy = malloc(rest);
            if (!copy) return -1;
            memcpy(copy, data + off, rest);
            free(p->data);
            p->data = copy;
            p->len = rest;
            p->off = 0;
            return 1;
        }
        return -1;
    }
    return 0;
}

static void on_readable(int ep, int fd) {
    /* Bounded: at most a few reads per wake-up so one busy connection cannot starve the others. */
    for (int round = 0; round < 4; round++) {
        ssize_t n = recv(fd, s_buf, sizeof s_buf, 0);
        if (n == 0) {
            close_conn(ep, fd);
            return;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            close_conn(ep, fd);
            return;
        }
        int r = send_all(fd, s_buf, (size_t)n);
        if (r < 0) {
            close_conn(ep, fd);
            return;
        }
        if (r > 0) {
            struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
            if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) close_conn(ep, fd);
            return;
        }
        if ((size_t)n < sizeof s_buf) return; /* drained the socket */
    }
}

static void on_writable(int ep, int fd) {
    struct pending *p = &s_pending[fd];
    while (p->off < p->len) {
        ssize_t n = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
        if (n > 0) {
            p->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        close_conn(ep, fd);
        return;
    }
    free(p->data);
    p->data = NULL;
    p->len = p->off = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) close_conn(ep, fd);
}

/* Returns 0 to keep running, 1 to quit. */
static int on_stdin(void) {
    char line[256];
    ssize_t n = read(0, line, sizeof line - 1);
    if (n <= 0) return 1;
    line[n] = 0;
    if (strstr(line, "quit")) return 1;
    if (strstr(line, "gc")) {
        printf("gc 0\n");
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <port> [bind-address]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";

    s_max_fd = 1 << 20;
    s_pending = calloc((size_t)s_max_fd, sizeof *s_pending);
    if (!s_pending) die("calloc");

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) die("inet_pton");
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    socklen_t salen = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &salen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl listen");
    ev.data.fd = 0;
    /* stdin may be a file (epoll refuses those): then there is no control channel, and that is fine. */
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);

    printf("listening %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (int k = 0; k < 256; k++) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    if (c >= s_max_fd) {
                        close(c);
                        continue;
                    }
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) close(c);
                }
            } else if (fd == 0) {
                if (on_stdin()) return 0;
            } else if (events[i].events & EPOLLOUT) {
                on_writable(ep, fd);
            } else {
                on_readable(ep, fd);
            }
        }
    }
}
