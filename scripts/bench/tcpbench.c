/*
 * tcpbench: the native traffic source/sink used by scripts/bench.ts.
 * Built into .cache/bench/tcpbench by the bench script (gcc -O2 -pthread).
 * Only 127.0.0.1 is used. Every mode stops itself after a deadline (alarm).
 *
 *   tcpbench serve PORT              epoll server; first byte of a connection picks the protocol:
 *                                      'S' + u64be N : read N bytes, then write 1 byte 'K'
 *                                      'E'           : echo everything (including the 'E')
 *                                      'G'           : HTTP/1.1 keep-alive, fixed 200 "hello"
 *   tcpbench send HOST PORT BYTES CONNS   CONNS threads each send BYTES (random, incompressible)
 *                                      using the 'S' protocol; prints JSON {bytes,seconds}
 *   tcpbench lat HOST PORT N         N sequential connect, echo 32 bytes, close; prints JSON
 *                                      {n,p50_us,p99_us,mean_us}
 *   tcpbench hold HOST PORT N        opens N connections, echoes 2 bytes on each, prints
 *                                      "ready", keeps them open until stdin reaches EOF
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF (256 * 1024)
#define MAX_LIFETIME_S 900

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int dial(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    c += w;
    n -= (size_t)w;
  }
}

static void read_full(int fd, void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (r == 0) {
      fprintf(stderr, "read: unexpected EOF\n");
      exit(1);
    }
    c += r;
    n -= (size_t)r;
  }
}

/* ---------------------------------------------------------------- serve */

enum { P_NEW, P_SINK_HDR, P_SINK, P_ECHO, P_HTTP };

struct conn {
  int fd;
  int proto;
  uint8_t hdr[8];
  int hdr_len;
  uint64_t left;
  /* pending output (echo / http) */
  char *out;
  size_t out_len, out_off;
  /* http request parsing state: how many chars of "\r\n\r\n" matched */
  int crlf;
};

static const char HTTP_RESP[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

static void conn_close(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->out);
  free(c);
}

/* Queue bytes to send; tries to write immediately. Returns -1 on a fatal error. */
static int conn_send(int ep, struct conn *c, const char *p, size_t n) {
  if (c->out_len == c->out_off) {
    ssize_t w = write(c->fd, p, n);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    }
    if (n == 0) return 0;
    c->out_len = c->out_off = 0;
  }
  c->out = realloc(c->out, c->out_len + n);
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

static int conn_flush(int ep, struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    c->out_off += (size_t)w;
  }
  c->out_len = c->out_off = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

/* Handles bytes read from c; returns -1 to close. */
static int conn_input(int ep, struct conn *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    switch (c->proto) {
    case P_NEW:
      if (p[0] == 'S') {
        c->proto = P_SINK_HDR;
        p++, n--;
      } else if (p[0] == 'E') {
        c->proto = P_ECHO;
      } else if (p[0] == 'G') {
        c->proto = P_HTTP;
      } else {
        return -1;
      }
      break;
    case P_SINK_HDR: {
      size_t take = 8 - (size_t)c->hdr_len;
      if (take > n) take = n;
      memcpy(c->hdr + c->hdr_len, p, take);
      c->hdr_len += (int)take;
      p += take, n -= take;
      if (c->hdr_len == 8) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | c->hdr[i];
        c->left = v;
        c->proto = P_SINK;
        if (v == 0 && conn_send(ep, c, "K", 1) < 0) return -1;
      }
      break;
    }
    case P_SINK: {
      size_t take = n < c->left ? n : (size_t)c->left;
      c->left -= take;
      p += take, n -= take;
      if (take > 0 && c->left == 0 && conn_send(ep, c, "K", 1) < 0) return -1;
      if (c->left == 0) n = 0; /* ignore anything after */
      break;
    }
    case P_ECHO:
      if (conn_send(ep, c, (const char *)p, n) < 0) return -1;
      n = 0;
      break;
    case P_HTTP:
      for (; n > 0; p++, n--) {
        char ch = (char)*p;
        int want = (c->crlf % 2 == 0) ? '\r' : '\n';
        if (ch == want) {
          if (++c->crlf == 4) {
            c->crlf = 0;
            if (conn_send(ep, c, HTTP_RESP, sizeof HTTP_RESP - 1) < 0) return -1;
          }
        } else {
          c->crlf = (ch == '\r') ? 1 : 0;
        }
      }
      break;
    }
  }
  return 0;
}

__attribute__((noreturn)) static void cmd_serve(int port) {
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 4096) < 0) die("listen");
  fcntl(ls, F_SETFL, O_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("listening %d\n", port);
  fflush(stdout);
  static uint8_t buf[BUF];
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (evs[i].events & EPOLLOUT) {
        if (conn_flush(ep, c) < 0) {
          conn_close(ep, c);
          continue;
        }
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        if (r <= 0 || conn_input(ep, c, buf, (size_t)r) < 0) conn_close(ep, c);
      }
    }
  }
}

/* ---------------------------------------------------------------- send */

struct sender {
  const char *host;
  int port;
  uint64_t bytes;
  const uint8_t *data;
  double end;
};

static void *sender_run(void *arg) {
  struct sender *s = arg;
  int fd = dial(s->host, s->port);
  uint8_t hdr[9];
  hdr[0] = 'S';
  for (int i = 0; i < 8; i++) hdr[1 + i] = (uint8_t)(s->bytes >> (56 - 8 * i));
  write_all(fd, hdr, sizeof hdr);
  uint64_t left = s->bytes;
  while (left > 0) {
    size_t n = left < BUF ? (size_t)left : BUF;
    write_all(fd, s->data, n);
    left -= n;
  }
  char k;
  read_full(fd, &k, 1);
  s->end = now_s();
  close(fd);
  return NULL;
}

static int cmd_send(const char *host, int port, uint64_t bytes, int conns) {
  uint8_t *data = malloc(BUF);
  int rnd = open("/dev/urandom", O_RDONLY);
  if (rnd < 0) die("open /dev/urandom");
  read_full(rnd, data, BUF);
  close(rnd);
  struct sender *ss = calloc((size_t)conns, sizeof *ss);
  pthread_t *th = calloc((size_t)conns, sizeof *th);
  double start = now_s();
  for (int i = 0; i < conns; i++) {
    ss[i] = (struct sender){host, port, bytes, data, 0};
    pthread_create(&th[i], NULL, sender_run, &ss[i]);
  }
  double end = start;
  for (int i = 0; i < conns; i++) {
    pthread_join(th[i], NULL);
    if (ss[i].end > end) end = ss[i].end;
  }
  printf("{\"bytes\":%llu,\"seconds\":%.6f}\n", (unsigned long long)(bytes * (uint64_t)conns),
         end - start);
  return 0;
}

/* ---------------------------------------------------------------- lat */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int cmd_lat(const char *host, int port, int n) {
  double *t = calloc((size_t)n, sizeof *t);
  char msg[32], back[32];
  memset(msg, 'x', sizeof msg);
  msg[0] = 'E';
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double t0 = now_s();
    int fd = dial(host, port);
    write_all(fd, msg, sizeof msg);
    read_full(fd, back, sizeof back);
    close(fd);
    t[i] = (now_s() - t0) * 1e6;
    sum += t[i];
  }
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  int i50 = (int)(0.50 * (n - 1) + 0.5), i99 = (int)(0.99 * (n - 1) + 0.5);
  printf("{\"n\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f}\n", n, t[i50], t[i99],
         sum / n);
  return 0;
}

/* ---------------------------------------------------------------- hold */

static int cmd_hold(const char *host, int port, int n) {
  int *fds = calloc((size_t)n, sizeof *fds);
  for (int i = 0; i < n; i++) {
    fds[i] = dial(host, port);
    write_all(fds[i], "Ex", 2);
  }
  char back[2];
  for (int i = 0; i < n; i++) read_full(fds[i], back, 2);
  printf("ready\n");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int i = 0; i < n; i++) close(fds[i]);
  return 0;
}

int main(int argc, char **argv) {
  alarm(MAX_LIFETIME_S);
  raise_nofile();
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 3 && strcmp(argv[1], "serve") == 0) cmd_serve(atoi(argv[2]));
  if (argc >= 6 && strcmp(argv[1], "send") == 0)
    return cmd_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), atoi(argv[5]));
  if (argc >= 5 && strcmp(argv[1], "lat") == 0)
    return cmd_lat(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc >= 5 && strcmp(argv[1], "hold") == 0)
    return cmd_hold(argv[2], atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr,
          "usage: tcpbench serve PORT | send HOST PORT BYTES CONNS | lat HOST PORT N |"
          " hold HOST PORT N\n");
  return 2;
}
