/* ipvsbench: the guest-side timer and netlink counter of bench/ipvs/run.sh (see its header).
 * Built on the host by run.sh (gcc -O2 -pthread), run in the VM by guest.sh. Every figure is
 * printed as one "R key=value ..." line that run.sh parses. Needs the nlmon0 device (guest.sh).
 *
 *   ipvsbench start LINES LOG ARGV...    fork+exec ARGV (stdout/stderr to LOG), then poll
 *                                        /proc/net/ip_vs until it has LINES lines; print the time
 *                                        from the fork, the nlmon skb counter (rx_packets) at that
 *                                        moment and once it stood still for 1 s, and the pid
 *   ipvsbench change FILE VALUE VS DEST present|absent
 *                                        wait until the nlmon counter stands still, write VALUE
 *                                        to FILE (open O_TRUNC, write, close, as `echo >`), poll
 *                                        /proc/net/ip_vs until destination DEST of service VS
 *                                        (both "0A140001:0050" as the file spells them) is present
 *                                        or absent; print that time, the skbs counted by then and
 *                                        once the counter stood still again, and from an AF_PACKET
 *                                        socket on nlmon0 (kernel timestamps): write -> first IPVS
 *                                        request, write -> last ACK on a generic netlink socket,
 *                                        the messages by IPVS command and their order; from
 *                                        inotify (IN_ACCESS, a SCHED_FIFO thread): write -> the
 *                                        daemon's first read of FILE, and that read -> the ACK
 *   ipvsbench stop PID                   SIGTERM to PID; time until PID exited (gone or zombie)
 *                                        and until /proc/net/ip_vs has only its 3 header lines (or,
 *                                        after the exit, stood still for 3 s: entries_left)
 *   ipvsbench capture                    count every netlink message the nlmon0 tap sees (an
 *                                        AF_PACKET socket on it, i.e. a tiny tcpdump) until
 *                                        SIGTERM; on SIGUSR1 print and reset the phase's counts,
 *                                        the phase named by the file /tmp/ipvsbench.phase
 *
 * The pollers run at SCHED_IDLE: on the one vCPU they take only time the daemon leaves idle, so
 * they do not slow it down; a poll result is up to one read of /proc/net/ip_vs late (printed as
 * read_ms: the duration of the last read; about 20-30 ms for the full 11,003-line table under
 * TCG). Times are CLOCK_MONOTONIC, but those compared with kernel timestamps (CLOCK_REALTIME).
 * `change` looks up the IPVS family id itself (nlctrl, 2 skbs) before its counted window.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NLMON "/sys/class/net/nlmon0/statistics/rx_packets"
#define IPVS_PROC "/proc/net/ip_vs"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec t = { (time_t)(ms / 1e3), (long)((ms - (time_t)(ms / 1e3) * 1e3) * 1e6) };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static long long read_num(const char *path)
{
	char b[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	return atoll(b);
}

static long long skbs(void) { return read_num(NLMON); }

/* wait until the nlmon counter has not moved for `quiet` ms (at most `cap` ms); returns it */
static long long settle(double quiet, double cap)
{
	double t0 = now_ms(), since = t0;
	long long last = skbs();
	while (now_ms() - t0 < cap) {
		sleep_ms(50);
		long long c = skbs();
		if (c != last) {
			last = c;
			since = now_ms();
		} else if (now_ms() - since >= quiet) {
			break;
		}
	}
	return last;
}

static void idle_sched(void)
{
	struct sched_param p = { 0 };
	if (sched_setscheduler(0, SCHED_IDLE, &p) < 0)
		perror("sched_setscheduler(SCHED_IDLE)");
}

static char buf[1 << 20];
static double last_read_ms;

/* number of lines in /proc/net/ip_vs */
static long count_lines(void)
{
	double t0 = now_ms();
	int fd = open(IPVS_PROC, O_RDONLY);
	if (fd < 0)
		return -1;
	long lines = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	last_read_ms = now_ms() - t0;
	return lines;
}

/* is destination `dest` listed under service `vs`? (-1: no such service) The read stops at the
 * end of that service's block. */
static int dest_listed(const char *vs, const char *dest)
{
	double t0 = now_ms();
	int fd = open(IPVS_PROC, O_RDONLY);
	if (fd < 0)
		return -1;
	char line[512];
	size_t ll = 0;
	int in_vs = 0, found = 0, seen_vs = 0, done = 0;
	size_t vl = strlen(vs), dl = strlen(dest);
	ssize_t n;
	while (!done && (n = read(fd, buf, 65536)) > 0) {
		for (ssize_t i = 0; i < n && !done; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof line - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			if (strncmp(line, "  -> ", 5) == 0) {
				if (in_vs && strncmp(line + 5, dest, dl) == 0)
					found = 1;
			} else if (strncmp(line, "TCP  ", 5) == 0 || strncmp(line, "UDP  ", 5) == 0 ||
				   strncmp(line, "FWM  ", 5) == 0 || strncmp(line, "SCTP ", 5) == 0) {
				if (in_vs)
					done = 1;
				in_vs = strncmp(line + 5, vs, vl) == 0;
				seen_vs |= in_vs;
			}
			ll = 0;
		}
	}
	close(fd);
	last_read_ms = now_ms() - t0;
	return seen_vs ? found : -1;
}

static int cmd_start(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: ipvsbench start LINES LOG ARGV...\n");
		return 2;
	}
	long want = atol(argv[1]);
	const char *log = argv[2];
	long long c0 = skbs();
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		setpgid(0, 0);
		execv(argv[3], argv + 3);
		perror("execv");
		_exit(127);
	}
	idle_sched();
	long lines = 0;
	double t1 = 0;
	long long c1 = -1;
	while (now_ms() - t0 < 120000) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "ipvsbench: %s exited (status 0x%x) before the table was full\n",
				argv[3], st);
			break;
		}
		lines = count_lines();
		if (lines >= want) {
			t1 = now_ms();
			c1 = skbs();
			break;
		}
		sleep_ms(5);
	}
	long long c2 = settle(1000, 15000);
	printf("R start_ms=%.1f lines=%ld read_ms=%.1f skb_at_full=%lld skb_settled=%lld pid=%d\n",
	       t1 ? t1 - t0 : -1.0, lines, last_read_ms, c1 - c0, c2 - c0, (int)pid);
	fflush(stdout);
	return t1 ? 0 : 1;
}

/* ------------------------------------------------------------- the nlmon tap ---- */

static volatile sig_atomic_t got_usr1, got_term;
static void on_sig(int s)
{
	if (s == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static const char *ipvs_cmd_name(int c)
{
	static const char *n[] = { "?", "NEW_SERVICE", "SET_SERVICE", "DEL_SERVICE", "GET_SERVICE",
				   "NEW_DEST", "SET_DEST", "DEL_DEST", "GET_DEST", "NEW_DAEMON",
				   "DEL_DAEMON", "GET_DAEMON", "SET_CONFIG", "GET_CONFIG",
				   "SET_INFO", "GET_INFO", "ZERO", "FLUSH" };
	return c > 0 && c < 18 ? n[c] : "?";
}

/* the IPVS family id, asked from nlctrl */
static int ipvs_family(void)
{
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (s < 0)
		return -1;
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char a[64];
	} req;
	memset(&req, 0, sizeof req);
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	struct nlattr *na = (struct nlattr *)req.a;
	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + 5;
	memcpy((char *)na + NLA_HDRLEN, "IPVS", 5);
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(na->nla_len);
	if (send(s, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	static char r[8192];
	ssize_t n = recv(s, r, sizeof r, 0);
	close(s);
	struct nlmsghdr *h = (struct nlmsghdr *)r;
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || h->nlmsg_type != GENL_ID_CTRL)
		return -1;
	char *p = (char *)NLMSG_DATA(h) + GENL_HDRLEN, *e = r + h->nlmsg_len;
	while (p + NLA_HDRLEN <= e) {
		struct nlattr *a = (struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)(p + NLA_HDRLEN);
		p += NLA_ALIGN(a->nla_len);
	}
	return -1;
}

static int fam = -1;

/* an AF_PACKET socket on nlmon0 with kernel timestamps; what was queued before is dropped */
static int open_tap(void)
{
	if (fam < 0)
		fam = ipvs_family();
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		exit(1);
	}
	int big = 64 << 20, on = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex("nlmon0") };
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		perror("bind nlmon0");
		exit(1);
	}
	struct tpacket_stats st;
	socklen_t sl = sizeof st;
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl); /* resets the drop count */
	return fd;
}

struct counts {
	long skb, skb_req, skb_reply, msg_req, msg_reply, acks, errs, max_per_skb, bytes_req;
	long route_req, route_reply, genl_ctrl, ipvs_cmd[18], other_req;
	/* CLOCK_REALTIME (s) of the first IPVS request skb and of the last IPVS reply skb */
	double first_req, last_reply;
	char order[256]; /* the IPVS requests' commands in order, while short */
};

static void add_order(struct counts *c, const char *name)
{
	size_t l = strlen(c->order);
	if (l + strlen(name) + 2 < sizeof c->order)
		snprintf(c->order + l, sizeof c->order - l, "%s%s", l ? "," : "", name);
	else if (l + 4 < sizeof c->order && strcmp(c->order + l - 3, "...") != 0)
		strcat(c->order, ",...");
}

/* one skb the tap saw: `len` bytes of `buf` from netlink protocol `proto` at time `ts` */
static void count_skb(struct counts *c, const char *b, size_t len, int proto, double ts)
{
	size_t total = len;
	c->skb++;
	long msgs = 0;
	int req = 0, ipvs = 0;
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)b; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		msgs++;
		if (h->nlmsg_flags & NLM_F_REQUEST) {
			req = 1;
			c->msg_req++;
			if (proto == NETLINK_ROUTE)
				c->route_req++;
			else if (proto == NETLINK_GENERIC && h->nlmsg_type == GENL_ID_CTRL)
				c->genl_ctrl++;
			else if (proto == NETLINK_GENERIC && h->nlmsg_type == fam) {
				const struct genlmsghdr *g = NLMSG_DATA(h);
				c->ipvs_cmd[g->cmd < 18 ? g->cmd : 0]++;
				add_order(c, ipvs_cmd_name(g->cmd));
				ipvs = 1;
			} else
				c->other_req++;
		} else {
			c->msg_reply++;
			if (proto == NETLINK_ROUTE)
				c->route_reply++;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error)
					c->errs++;
				else
					c->acks++;
			}
			/* IPVS's replies, and the ACKs on generic sockets (nlctrl's are few) */
			if (proto == NETLINK_GENERIC && h->nlmsg_type != GENL_ID_CTRL)
				ipvs = 2;
		}
	}
	if (req) {
		c->skb_req++;
		c->bytes_req += (long)total;
		if (msgs > c->max_per_skb)
			c->max_per_skb = msgs;
	} else {
		c->skb_reply++;
	}
	if (ipvs == 1 && !c->first_req)
		c->first_req = ts;
	if (ipvs == 2)
		c->last_reply = ts;
}

/* read one skb from the tap into `c`; returns 0 when none is queued (flags MSG_DONTWAIT) */
static int tap_read(int fd, struct counts *c, int flags)
{
	struct sockaddr_ll from;
	char ctl[256];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	ssize_t n = recvmsg(fd, &mh, MSG_TRUNC | flags);
	if (n < 0)
		return errno == EINTR ? -1 : 0;
	if ((size_t)n > sizeof buf)
		fprintf(stderr, "ipvsbench: skb of %zd bytes truncated\n", n);
	double ts = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(cm), sizeof t);
			ts = t.tv_sec + t.tv_nsec / 1e9;
		}
	count_skb(c, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf, ntohs(from.sll_protocol), ts);
	return 1;
}

static unsigned tap_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t sl = sizeof st;
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl); /* resets the kernel's counts */
	return st.tp_drops;
}

static void print_counts(struct counts *c)
{
	printf("skbs=%ld req_skbs=%ld reply_skbs=%ld req_msgs=%ld reply_msgs=%ld acks=%ld errors=%ld "
	       "max_msgs_per_req_skb=%ld req_bytes=%ld route_req=%ld route_reply=%ld "
	       "genl_ctrl_req=%ld other_req=%ld",
	       c->skb, c->skb_req, c->skb_reply, c->msg_req, c->msg_reply, c->acks, c->errs,
	       c->max_per_skb, c->bytes_req, c->route_req, c->route_reply, c->genl_ctrl, c->other_req);
	for (int i = 1; i < 18; i++)
		if (c->ipvs_cmd[i])
			printf(" %s=%ld", ipvs_cmd_name(i), c->ipvs_cmd[i]);
	if (c->first_req && c->last_reply > c->first_req)
		printf(" ipvs_first_req_to_last_reply_ms=%.2f", (c->last_reply - c->first_req) * 1e3);
}

static double real_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* the daemon's first read of the track file after our write (inotify IN_ACCESS), caught by a
 * SCHED_FIFO thread so that it is timed when it happens */
static int ino_fd;
static volatile double access_at; /* CLOCK_REALTIME, s */
static volatile int ino_armed;
static void *ino_thread(void *arg)
{
	(void)arg;
	struct sched_param p = { .sched_priority = 1 };
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
	char ev[4096] __attribute__((aligned(8)));
	for (;;) {
		ssize_t n = read(ino_fd, ev, sizeof ev);
		if (n <= 0)
			continue;
		double t = real_s();
		for (char *q = ev; q < ev + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			if ((e->mask & IN_ACCESS) && ino_armed && !access_at)
				access_at = t;
			q += sizeof *e + e->len;
		}
	}
	return NULL;
}

static int cmd_change(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: ipvsbench change FILE VALUE VS DEST present|absent\n");
		return 2;
	}
	int want = strcmp(argv[5], "present") == 0;
	ino_fd = inotify_init1(IN_CLOEXEC);
	if (ino_fd < 0 || inotify_add_watch(ino_fd, argv[1], IN_ACCESS) < 0) {
		perror("inotify");
		return 1;
	}
	pthread_t th;
	pthread_create(&th, NULL, ino_thread, NULL);
	fam = ipvs_family(); /* before the counted window: it is netlink traffic too */
	long long c0 = settle(1000, 15000);
	int tap = open_tap();
	struct counts c;
	memset(&c, 0, sizeof c);
	ino_armed = 1;
	double t0 = now_ms(), w0 = real_s();
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, argv[2], strlen(argv[2])) < 0 || write(fd, "\n", 1) < 0) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	idle_sched();
	double t1 = 0;
	long long c1 = -1;
	while (now_ms() - t0 < 30000) {
		if (dest_listed(argv[3], argv[4]) == want) {
			t1 = now_ms();
			c1 = skbs();
			break;
		}
	}
	long long c2 = settle(1000, 15000);
	while (tap_read(tap, &c, MSG_DONTWAIT))
		;
	printf("R change_ms=%.2f read_ms=%.2f skb_at_change=%lld skb_settled=%lld", t1 ? t1 - t0 : -1.0,
	       last_read_ms, c1 - c0, c2 - c0);
	if (c.first_req)
		printf(" write_to_req_ms=%.2f", (c.first_req - w0) * 1e3);
	if (c.last_reply)
		printf(" write_to_ack_ms=%.2f", (c.last_reply - w0) * 1e3);
	if (access_at)
		printf(" write_to_read_ms=%.2f", (access_at - w0) * 1e3);
	if (access_at && c.last_reply)
		printf(" read_to_ack_ms=%.3f", (c.last_reply - access_at) * 1e3);
	printf(" tap: ");
	print_counts(&c);
	printf(" order=%s drops=%u\n", c.order[0] ? c.order : "-", tap_drops(tap));
	fflush(stdout);
	return t1 ? 0 : 1;
}

static int exited(pid_t pid)
{
	char p[64], b[256];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 1;
	b[n] = 0;
	char *r = strrchr(b, ')');
	return r && r[1] == ' ' && (r[2] == 'Z' || r[2] == 'X');
}

static int cmd_stop(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ipvsbench stop PID\n");
		return 2;
	}
	pid_t pid = atoi(argv[1]);
	long long c0 = settle(1000, 15000);
	idle_sched();
	double t0 = now_ms(), t_exit = 0, t_empty = 0, t_moved = t0;
	if (kill(pid, SIGTERM) < 0) {
		perror("kill");
		return 1;
	}
	/* until the daemon exited and the table is empty, or, once it exited, the table stood
	 * still for 3 s (a daemon killed half-way leaves entries behind) */
	long lines = -1;
	while ((!t_exit || !t_empty) && now_ms() - t0 < 60000) {
		if (!t_exit && exited(pid))
			t_exit = now_ms();
		long l = count_lines();
		if (l != lines) {
			lines = l;
			t_moved = now_ms();
		}
		if (!t_empty && l == 3)
			t_empty = now_ms();
		if (t_exit && !t_empty && now_ms() - t_moved > 3000)
			break;
		if (!t_exit || !t_empty)
			sleep_ms(2);
	}
	long long c1 = skbs();
	printf("R exit_ms=%.1f empty_ms=%.1f entries_left=%ld read_ms=%.1f skb_by_exit=%lld\n",
	       t_exit ? t_exit - t0 : -1.0, t_empty ? t_empty - t0 : -1.0, lines - 3, last_read_ms,
	       c1 - c0);
	fflush(stdout);
	return t_exit ? 0 : 1;
}

/* ---------------------------------------------------------------- capture ---- */

static int cmd_capture(void)
{
	int fd = open_tap();
	struct sigaction sa = { .sa_handler = on_sig }; /* no SA_RESTART: recvmsg returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct counts c;
	memset(&c, 0, sizeof c);
	printf("R cap ready ipvs_family=%d\n", fam);
	fflush(stdout);
	for (;;) {
		if (got_usr1 || got_term) {
			/* what is already queued belongs to the phase that ends */
			while (tap_read(fd, &c, MSG_DONTWAIT) > 0)
				;
			char phase[64] = "?";
			int pf = open("/tmp/ipvsbench.phase", O_RDONLY);
			if (pf >= 0) {
				ssize_t n = read(pf, phase, sizeof phase - 1);
				phase[n > 0 ? n : 0] = 0;
				phase[strcspn(phase, "\n")] = 0;
				close(pf);
			}
			if (got_term && !c.skb)
				return 0;
			printf("R cap phase=%s ", phase);
			print_counts(&c);
			printf(" drops=%u\n", tap_drops(fd));
			fflush(stdout);
			memset(&c, 0, sizeof c);
			got_usr1 = 0;
			if (got_term)
				return 0;
		}
		tap_read(fd, &c, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "start") == 0)
		return cmd_start(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "change") == 0)
		return cmd_change(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stop") == 0)
		return cmd_stop(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "capture") == 0)
		return cmd_capture();
	fprintf(stderr, "usage: ipvsbench start|change|stop|capture ... (see the source's header)\n");
	return 2;
}
