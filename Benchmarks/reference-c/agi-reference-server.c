// Calibration only: the smallest FastAGI server that runs the bench script, so that the load
// tools can be compared against what the kernel and the load tool alone allow. Not a product:
// no limits, no checks, no error handling. Usage: agi-reference-server [PORT] (default 4610).
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
typedef struct { int fd; int step; int env; char buf[8192]; int len; char d[8]; char dist[8]; } conn;
static void sendcmd(conn *c) {
  char out[256]; int n = 0;
  switch (c->step) {
  case 0: n = sprintf(out, "ANSWER\n"); break;
  case 1: n = sprintf(out, "STREAM FILE welcome \"\"\n"); break;
  case 2: n = sprintf(out, "GET DATA menu 3000 1\n"); break;
  case 3: n = sprintf(out, "SET VARIABLE HELPLINE_DEPT \"dept-%s\"\n", c->d); break;
  case 4: n = sprintf(out, "GET DATA enter-district 3000 2\n"); break;
  case 5: n = sprintf(out, "SAY DIGITS %s \"\"\n", c->dist); break;
  case 6: n = sprintf(out, "SET VARIABLE HELPLINE_QUEUE \"q-%s\"\n", c->d); break;
  case 7: n = sprintf(out, "HANGUP\n"); break;
  }
  write(c->fd, out, n);
}
int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 4610;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) { perror("bind"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("cagi listening on 127.0.0.1:%d pid %d\n", port, getpid()); fflush(stdout);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) {
        for (;;) {
          int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c); c->fd = fd;
          struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      int r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
      if (r <= 0) { close(c->fd); free(c); continue; }
      c->len += r;
      int closed = 0;
      char *p = c->buf, *end = c->buf + c->len, *nl;
      while (!closed && (nl = memchr(p, '\n', end - p))) {
        *nl = 0;
        if (!c->env) {
          if (nl == p) { c->env = 1; sendcmd(c); }
        } else if (strncmp(p, "200 ", 4) == 0) {
          char *res = strstr(p, "result=");
          if (c->step == 2 && res) snprintf(c->d, sizeof c->d, "%.1s", res + 7);
          if (c->step == 4 && res) { snprintf(c->dist, sizeof c->dist, "%s", res + 7); char *s = strchr(c->dist, ' '); if (s) *s = 0; }
          c->step++;
          if (c->step == 8) { close(c->fd); free(c); closed = 1; break; }
          sendcmd(c);
        }
        p = nl + 1;
      }
      if (!closed) { memmove(c->buf, p, end - p); c->len = end - p; }
    }
  }
}
