/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic two-stack simulation: our client stack <-> our echo server stack over an
 * in-memory wire with a virtual clock and seeded drop/dup/reorder/corrupt. Invariants checked
 * for every seed: byte-stream equality both ways (the client verifies the echo byte by byte
 * against the stream it sent), legal state transitions only, every connection closed in
 * order, no connection slot or mbuf left in use once TIME-WAIT has passed.
 *
 * Each Criterion test runs in its own process and initialises EAL there (--no-huge, about
 * 0.2 s, measured), so the simulation needs no hugepages and no shared files.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_ip.h>

#include "sim/sim.h"
#include "echo/echo.h"
#include "sim/sim_app.h"
#include "tcp/tcp_pvt.h" /* white-box: sequence numbers for crafted segments */

#define IP_CLIENT 0x0a000001u /* 10.0.0.1 */
#define IP_SERVER 0x0a000002u /* 10.0.0.2 */
#define ECHO_PORT 7

static struct sim sim;
static struct echo echo;
static struct sim_client client;

static void
eal_setup(void)
{
	cr_assert_eq(sim_eal_init("tcpsim"), 0);
}

static void
conf_default(struct sim_node_conf *c, uint32_t ip, uint8_t mac)
{
	memset(c, 0, sizeof(*c));
	c->ip = ip;
	c->prefix_len = 24;
	c->mac_last = mac;
	c->mbufs = 8192;
	tcp_params_default(&c->tcp);
	c->tcp.max_conns = 512;
	c->tcp.rto_min_ms = 10;
	c->tcp.time_wait_ms = 2000;
	c->tcp.sndbuf_bytes = 64 * 1024;
	c->tcp.rcvbuf_bytes = 64 * 1024;
	c->tcp.mbuf_reserve = 256;
	c->tcp.secret.k0 = 1;
	c->tcp.secret.k1 = 2;
}

static void
setup_pair(uint64_t seed, const struct sim_impair *imp, struct sim_node_conf *cc,
           struct sim_node_conf *sc)
{
	struct sim_node_conf c0, c1;

	if (cc == NULL) {
		conf_default(&c0, IP_CLIENT, 1);
		cc = &c0;
	}
	if (sc == NULL) {
		conf_default(&c1, IP_SERVER, 2);
		sc = &c1;
	}
	cr_assert_eq(sim_create(&sim, "t", seed, 200, cc, sc), 0);
	if (imp != NULL)
		sim.imp[0] = sim.imp[1] = *imp;
	cr_assert_eq(echo_init(&echo, sim.node[1].tcp, &sim.now_us, SIM_APP_MAX_CONNS), 0);
	memset(&client, 0, sizeof(client));
	client.tcp = sim.node[0].tcp;
	client.pool = sim.node[0].pool;
	client.now_us = &sim.now_us;
	client.rng.s = seed * 7 + 1;
	client.max_chunk = 5000;
	cr_assert_eq(echo_listen(&echo, ECHO_PORT), 0);
}

/* Runs until every client connection closed, then lets TIME-WAIT run out. */
static void
run_to_completion(uint64_t limit_us)
{
	uint64_t end = sim.now_us + limit_us;

	while (sim.now_us < end && client.closed < client.n) {
		sim_client_pump(&client);
		sim_flush(&sim);
		sim_step(&sim);
	}
	end = sim.now_us + 2 * 2000 * 1000 + 100000; /* TIME-WAIT on either side */
	while (sim.now_us < end &&
	       (tcp_conns_in_use(sim.node[0].tcp) || tcp_conns_in_use(sim.node[1].tcp)))
		sim_step(&sim);
}

static void
check_invariants_opt(const char *what, bool server_errors_ok)
{
	for (uint32_t i = 0; i < client.n; i++) {
		struct sim_client_conn *c = &client.c[i];

		cr_assert(c->closed, "%s: conn %u not closed (tx %lu rx %lu of %lu, state %s)",
		          what, i, c->tx_off, c->rx_off, c->total,
		          tcp_state_names[tcp_conn_state(sim.node[0].tcp, c->h)]);
		cr_assert_eq(c->err, 0, "%s: conn %u closed with %d", what, i, c->err);
		cr_assert_eq(c->mismatch, 0, "%s: conn %u stream differs at %lu", what, i,
		             c->mismatch - 1);
		cr_assert_eq(c->rx_off, c->total, "%s: conn %u got %lu of %lu", what, i, c->rx_off,
		             c->total);
	}
	cr_assert_eq(echo.accepted, client.n, "%s: accepted %lu of %u", what, echo.accepted,
	             client.n);
	cr_assert_eq(echo.closed, echo.accepted, "%s: echo closed %lu of %lu", what, echo.closed,
	             echo.accepted);
	/*
	 * Under heavy loss the server's last FIN retransmission may outlive the client's
	 * TIME-WAIT and meet a RST: legal TCP, so the caller may allow it.
	 */
	if (!server_errors_ok)
		cr_assert_eq(echo.closed_err, 0, "%s: %lu echo conns closed with an error", what,
		             echo.closed_err);
	for (unsigned int n = 0; n < 2; n++) {
		struct tcp_stats *ts = tcp_stack_stats(sim.node[n].tcp);

		cr_assert_eq(ts->cnt[TCP_CNT_STATE_ILLEGAL], 0, "%s: node %u illegal transition",
		             what, n);
		cr_assert_eq(tcp_conns_in_use(sim.node[n].tcp), 0, "%s: node %u conns left %u",
		             what, n, tcp_conns_in_use(sim.node[n].tcp));
		for (unsigned int s = 0; s < TCP_STATE_MAX; s++)
			cr_assert_eq(ts->conns[s], 0, "%s: node %u state %s count %lu", what, n,
			             tcp_state_names[s], ts->conns[s]);
	}
	/* Packets still on the wire hold mbufs of the receiving side: drain first. */
	while (sim.qlen > 0)
		sim_step(&sim);
	for (unsigned int n = 0; n < 2; n++)
		cr_assert_eq(sim_mbufs_in_use(&sim.node[n]), 0, "%s: node %u leaks %u mbufs", what,
		             n, sim_mbufs_in_use(&sim.node[n]));
}

static void
check_invariants(const char *what)
{
	check_invariants_opt(what, false);
}

Test(tcp_sim, echo_one_conn_clean, .init = eal_setup)
{
	setup_pair(1, NULL, NULL, NULL);
	cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, 42, 200000), 0);
	run_to_completion(60ULL * 1000000);
	check_invariants("clean");
	cr_assert_eq(tcp_stack_stats(sim.node[0].tcp)->cnt[TCP_CNT_RETRANSMITS], 0);
	sim_destroy(&sim);
}

/* The interop impairment profile: 2% drop, 1% dup, 2% reorder, 0.1% corrupt. */
static const uint64_t seeds_moderate[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint64_t seeds_harsh[] = {101, 102, 103, 104, 105, 106};

static void
run_seed(uint64_t seed, const struct sim_impair *imp, uint32_t nconns, uint64_t bytes,
         bool server_errors_ok)
{
	char what[64];

	snprintf(what, sizeof(what), "seed %lu", seed);
	setup_pair(seed, imp, NULL, NULL);
	for (uint32_t i = 0; i < nconns; i++)
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, seed * 1000 + i,
		                              bytes + i * 777),
		              0);
	run_to_completion(120ULL * 1000000);
	check_invariants_opt(what, server_errors_ok);
	sim_destroy(&sim);
}

Test(tcp_sim, seeds_moderate_impairment, .init = eal_setup)
{
	struct sim_impair imp = {.drop = 0.02, .dup = 0.01, .reorder = 0.02, .corrupt = 0.001};

	for (size_t i = 0; i < sizeof(seeds_moderate) / sizeof(seeds_moderate[0]); i++)
		run_seed(seeds_moderate[i], &imp, 8, 64 * 1024, false);
}

Test(tcp_sim, seeds_harsh_impairment, .init = eal_setup)
{
	struct sim_impair imp = {.drop = 0.10, .dup = 0.05, .reorder = 0.10, .corrupt = 0.005};

	for (size_t i = 0; i < sizeof(seeds_harsh) / sizeof(seeds_harsh[0]); i++)
		run_seed(seeds_harsh[i], &imp, 10, 30 * 1024, true);
}

Test(tcp_sim, many_connections_loop, .init = eal_setup)
{
	/* Open, echo a little and close 400 connections, 100 at a time: counters back at 0. */
	setup_pair(77, NULL, NULL, NULL);
	for (uint32_t round = 0; round < 4; round++) {
		uint32_t base = client.n;

		for (uint32_t i = 0; i < 100; i++)
			cr_assert_geq(
			        sim_client_open(&client, IP_SERVER, ECHO_PORT, base + i, 100 + i),
			        0);
		for (uint64_t end = sim.now_us + 10000000;
		     sim.now_us < end && client.closed < client.n;) {
			sim_client_pump(&client);
			sim_flush(&sim);
			sim_step(&sim);
		}
		cr_assert_eq(client.closed, client.n, "round %u", round);
	}
	run_to_completion(1000000);
	check_invariants("loop");
	sim_destroy(&sim);
}

/* ---- targeted scenarios ---- */

static void
run_for(uint64_t us)
{
	for (uint64_t end = sim.now_us + us; sim.now_us < end;) {
		sim_client_pump(&client);
		sim_flush(&sim);
		sim_step(&sim);
	}
}

static struct tcp_conn *
only_conn(unsigned int node)
{
	struct tcp_stack *st = sim.node[node].tcp;

	for (uint32_t i = 0; i < st->nconns; i++)
		if (st->conns[i].state != TCP_STATE_CLOSED)
			return &st->conns[i];
	return NULL;
}

static uint16_t
only_conn_port(uint32_t client_idx)
{
	return sim.node[0].tcp->conns[client.c[client_idx].h.idx].t.local_port;
}

/* Records callbacks; never consumes unless told to (zero-window receiver). */
struct rec {
	struct tcp_handle h;
	bool accepted, connected, peer_closed, closed, consume;
	int err;
	uint64_t rx;
	struct rte_mbuf *held[4096];
	uint32_t nheld;
};

static struct rec rec_srv, rec_cli;

static int
rec_accept(void *l, struct tcp_handle h, void **ctx)
{
	struct rec *r = l;

	r->h = h;
	r->accepted = true;
	*ctx = r;
	return 0;
}

static void
rec_connected(void *ctx, struct tcp_handle h)
{
	struct rec *r = ctx;

	r->h = h;
	r->connected = true;
}

static void
rec_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	struct rec *r = ctx;

	r->rx += rte_pktmbuf_pkt_len(m);
	if (r->consume) {
		tcp_recv_done(sim.node[ctx == &rec_srv ? 1 : 0].tcp, h, rte_pktmbuf_pkt_len(m),
		              sim.now_us);
		rte_pktmbuf_free(m);
	} else {
		cr_assert_lt(r->nheld, 4096);
		r->held[r->nheld++] = m;
	}
}

static void
rec_peer_closed(void *ctx, struct tcp_handle h)
{
	(void)h;
	((struct rec *)ctx)->peer_closed = true;
}

static void
rec_closed(void *ctx, struct tcp_handle h, int err)
{
	struct rec *r = ctx;

	(void)h;
	r->closed = true;
	r->err = err;
}

static const struct tcp_app_ops rec_ops = {
        .accept = rec_accept,
        .connected = rec_connected,
        .recv = rec_recv,
        .peer_closed = rec_peer_closed,
        .closed = rec_closed,
};

static void
rec_release(struct rec *r, unsigned int node)
{
	for (uint32_t i = 0; i < r->nheld; i++) {
		tcp_recv_done(sim.node[node].tcp, r->h, rte_pktmbuf_pkt_len(r->held[i]),
		              sim.now_us);
		rte_pktmbuf_free(r->held[i]);
	}
	r->nheld = 0;
}

static void
rec_pair(struct sim_node_conf *cc, struct sim_node_conf *sc)
{
	setup_pair(5, NULL, cc, sc);
	tcp_unlisten(sim.node[1].tcp, ECHO_PORT);
	memset(&rec_srv, 0, sizeof(rec_srv));
	memset(&rec_cli, 0, sizeof(rec_cli));
	rec_srv.consume = rec_cli.consume = true;
	cr_assert_eq(tcp_listen(sim.node[1].tcp, ECHO_PORT, &rec_ops, &rec_srv), 0);
	cr_assert_eq(tcp_connect(sim.node[0].tcp, IP_SERVER, ECHO_PORT, 0, &rec_ops, &rec_cli,
	                         sim.now_us, &rec_cli.h),
	             0);
	run_for(20000);
	cr_assert(rec_cli.connected && rec_srv.accepted);
}

static struct rte_mbuf *
payload(unsigned int node, uint32_t len, uint8_t fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sim.node[node].pool);

	cr_assert_not_null(m);
	memset(rte_pktmbuf_append(m, (uint16_t)len), fill, len);
	return m;
}

static void
leak_check(void)
{
	run_for(5000000); /* TIME-WAIT (2 s) and stragglers */
	while (sim.qlen > 0)
		sim_step(&sim);
	for (unsigned int n = 0; n < 2; n++) {
		cr_assert_eq(tcp_conns_in_use(sim.node[n].tcp), 0, "node %u conns", n);
		cr_assert_eq(sim_mbufs_in_use(&sim.node[n]), 0, "node %u mbufs", n);
		cr_assert_eq(tcp_stack_stats(sim.node[n].tcp)->cnt[TCP_CNT_STATE_ILLEGAL], 0);
	}
}

Test(tcp_sim, simultaneous_close, .init = eal_setup)
{
	struct tcp_conn *a, *b;

	rec_pair(NULL, NULL);
	/* RFC 9293 Figure 13: both close at once -> FIN-WAIT-1 -> CLOSING -> TIME-WAIT. */
	cr_assert_eq(tcp_close(sim.node[0].tcp, rec_cli.h, sim.now_us), 0);
	cr_assert_eq(tcp_close(sim.node[1].tcp, rec_srv.h, sim.now_us), 0);
	a = only_conn(0);
	b = only_conn(1);
	cr_assert_eq(a->state, TCP_STATE_FIN_WAIT_1);
	cr_assert_eq(b->state, TCP_STATE_FIN_WAIT_1);
	sim_flush(&sim);
	sim_step(&sim); /* both FINs cross on the wire */
	while (sim.qlen > 0 && a->state == TCP_STATE_FIN_WAIT_1)
		sim_step(&sim);
	cr_assert(a->state == TCP_STATE_CLOSING || a->state == TCP_STATE_TIME_WAIT);
	run_for(10000);
	cr_assert_eq(a->state, TCP_STATE_TIME_WAIT);
	cr_assert_eq(b->state, TCP_STATE_TIME_WAIT);
	cr_assert(rec_cli.closed && rec_srv.closed);
	cr_assert_eq(rec_cli.err, 0);
	/* TIME-WAIT lasts time_wait_ms (2 s here), never less. */
	run_for(1900000);
	cr_assert_eq(a->state, TCP_STATE_TIME_WAIT);
	run_for(200000);
	cr_assert_eq(tcp_conns_in_use(sim.node[0].tcp), 0);
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, time_wait_zero_rejected, .init = eal_setup)
{
	struct sim_node_conf c;

	conf_default(&c, IP_SERVER, 2);
	c.tcp.time_wait_ms = 0;
	cr_assert_neq(sim_create(&sim, "tw", 1, 200, &c, &c), 0);
}

/* Injects a crafted segment from src_ip:sport into node 1. */
static void
inject_raw(uint32_t src_ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
           uint8_t flags)
{
	struct sim_node *n = &sim.node[1];
	struct rte_mbuf *m = rte_pktmbuf_alloc(n->pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	struct rte_tcp_hdr *th;

	cr_assert_not_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ih) + sizeof(*th));
	ih = (struct rte_ipv4_hdr *)(eh + 1);
	th = (struct rte_tcp_hdr *)(ih + 1);
	memset(eh, 0, sizeof(*eh) + sizeof(*ih) + sizeof(*th));
	eh->dst_addr = net_iface_params(n->ifc)->mac;
	eh->src_addr = net_iface_params(sim.node[0].ifc)->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16(sizeof(*ih) + sizeof(*th));
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_TCP;
	ih->src_addr = rte_cpu_to_be_32(src_ip);
	ih->dst_addr = rte_cpu_to_be_32(IP_SERVER);
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(1000);
	th->cksum = net_l4_cksum(m, sizeof(*eh) + sizeof(*ih), sizeof(*th), src_ip, IP_SERVER,
	                         IPPROTO_TCP);
	net_rx(n->ifc, m, sim.now_us);
	tcp_flush(n->tcp);
}

/* Injects a crafted segment into node 1 as if node 0's connection had sent it. */
static void
inject_to_server(const struct tcp_conn *from, uint32_t seq, uint32_t ack, uint8_t flags)
{
	inject_raw(IP_CLIENT, from->t.local_port, from->t.remote_port, seq, ack, flags);
}

Test(tcp_sim, rst_challenge_ack_rfc5961, .init = eal_setup)
{
	struct tcp_stats *ss;
	struct tcp_conn *cli, *srv;

	rec_pair(NULL, NULL);
	ss = tcp_stack_stats(sim.node[1].tcp);
	cli = only_conn(0);
	srv = only_conn(1);
	/* RFC 5961 §3.2: in window but not RCV.NXT -> challenge ACK, connection kept. */
	inject_to_server(cli, srv->rcv_nxt + 100, 0, TCP_RST);
	cr_assert_eq(ss->cnt[TCP_CNT_CHALLENGE_ACKS], 1);
	cr_assert_eq(ss->drop[TCP_DROP_RST_CHALLENGED], 1);
	cr_assert_eq(srv->state, TCP_STATE_ESTABLISHED);
	/* Out of window: dropped, no reset. */
	inject_to_server(cli, srv->rcv_nxt + 10000000, 0, TCP_RST);
	cr_assert_eq(srv->state, TCP_STATE_ESTABLISHED);
	/* RFC 5961 §4.2: SYN in a synchronized state -> challenge ACK. */
	inject_to_server(cli, srv->rcv_nxt, 0, TCP_SYN);
	cr_assert_eq(ss->cnt[TCP_CNT_CHALLENGE_ACKS], 2);
	cr_assert_eq(srv->state, TCP_STATE_ESTABLISHED);
	/* RFC 5961 §5.2: an ACK for data never sent is dropped and answered. */
	inject_to_server(cli, srv->rcv_nxt, srv->snd_max + 100000, TCP_ACK);
	cr_assert_eq(ss->drop[TCP_DROP_ACK_INVALID], 1);
	cr_assert_eq(srv->state, TCP_STATE_ESTABLISHED);
	/* Exactly RCV.NXT: the connection is reset. */
	inject_to_server(cli, srv->rcv_nxt, 0, TCP_RST);
	cr_assert(rec_srv.closed);
	cr_assert_eq(rec_srv.err, -ECONNRESET);
	cr_assert_eq(ss->cnt[TCP_CNT_CONN_RESET_RX], 1);
	tcp_abort(sim.node[0].tcp, rec_cli.h, sim.now_us);
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, syn_cookies_when_backlog_full, .init = eal_setup)
{
	struct sim_node_conf cc, sc;
	struct tcp_stats *ss;

	conf_default(&cc, IP_CLIENT, 1);
	conf_default(&sc, IP_SERVER, 2);
	sc.tcp.syn_backlog = 2;
	setup_pair(9, NULL, &cc, &sc);
	/* Prime ARP so the 40 SYNs leave together. */
	net_arp_add_static(sim.node[0].ifc, IP_SERVER, &net_iface_params(sim.node[1].ifc)->mac);
	for (uint32_t i = 0; i < 40; i++)
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, i, 5000), 0);
	run_to_completion(30ULL * 1000000);
	ss = tcp_stack_stats(sim.node[1].tcp);
	cr_assert_gt(ss->cnt[TCP_CNT_SYN_COOKIES_SENT], 0);
	cr_assert_gt(ss->cnt[TCP_CNT_SYN_COOKIES_OK], 0);
	check_invariants("cookies");
	sim_destroy(&sim);
}

Test(tcp_sim, zero_window_receiver, .init = eal_setup)
{
	struct tcp_stats *cs;
	struct tcp_conn *cli;
	uint32_t sent = 0;

	rec_pair(NULL, NULL);
	rec_srv.consume = false; /* the application stops reading */
	cs = tcp_stack_stats(sim.node[0].tcp);
	cli = only_conn(0);
	/* Keep the sender's queue full for 3 s: more than the receiver's 64 KiB buffer. */
	for (uint64_t end = sim.now_us + 3000000; sim.now_us < end;) {
		struct rte_mbuf *m = payload(0, 1000, (uint8_t)sent);

		if (tcp_send(sim.node[0].tcp, rec_cli.h, m, sim.now_us) != 0) {
			rte_pktmbuf_free(m);
			sim_flush(&sim);
			sim_step(&sim);
			continue;
		}
		sent += 1000;
	}
	cr_assert_eq(cli->snd_wnd, 0, "peer window %u", cli->snd_wnd);
	cr_assert_gt(cs->cnt[TCP_CNT_ZERO_WINDOW_PROBES], 0);
	cr_assert_eq(tcp_conn_state(sim.node[0].tcp, rec_cli.h), TCP_STATE_ESTABLISHED);
	cr_assert_leq(rec_srv.rx, 64 * 1024);
	/* The reader resumes: everything arrives. */
	rec_release(&rec_srv, 1);
	rec_srv.consume = true;
	run_for(5000000);
	cr_assert_eq(rec_srv.rx, sent);
	tcp_close(sim.node[0].tcp, rec_cli.h, sim.now_us);
	run_for(10000);
	cr_assert(rec_srv.peer_closed);
	tcp_close(sim.node[1].tcp, rec_srv.h, sim.now_us);
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, keepalive_detects_dead_peer, .init = eal_setup)
{
	struct sim_node_conf cc;
	struct tcp_stats *cs;

	conf_default(&cc, IP_CLIENT, 1);
	cc.tcp.keepalive_idle_ms = 1000;
	cc.tcp.keepalive_intvl_ms = 500;
	cc.tcp.keepalive_probes = 3;
	rec_pair(&cc, NULL);
	cs = tcp_stack_stats(sim.node[0].tcp);
	run_for(1500000); /* idle: probes are answered */
	cr_assert_geq(cs->cnt[TCP_CNT_KEEPALIVE_PROBES], 1);
	cr_assert_eq(tcp_conn_state(sim.node[0].tcp, rec_cli.h), TCP_STATE_ESTABLISHED);
	sim.imp[0].drop = sim.imp[1].drop = 1.0; /* the peer vanishes */
	run_for(5000000);
	cr_assert(rec_cli.closed);
	cr_assert_eq(rec_cli.err, -ETIMEDOUT);
	cr_assert_eq(cs->cnt[TCP_CNT_CONN_TIMEOUT], 1);
	sim.imp[0].drop = sim.imp[1].drop = 0;
	tcp_abort(sim.node[1].tcp, rec_srv.h, sim.now_us);
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, budget_refuses_new_connections, .init = eal_setup)
{
	struct sim_node_conf cc, sc;
	struct tcp_stats *ss;
	uint32_t refused = 0, ok = 0;

	conf_default(&cc, IP_CLIENT, 1);
	conf_default(&sc, IP_SERVER, 2);
	sc.tcp.max_conns = 4;
	setup_pair(3, NULL, &cc, &sc);
	net_arp_add_static(sim.node[0].ifc, IP_SERVER, &net_iface_params(sim.node[1].ifc)->mac);
	for (uint32_t i = 0; i < 10; i++)
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, i, 200000), 0);
	run_to_completion(30ULL * 1000000);
	ss = tcp_stack_stats(sim.node[1].tcp);
	for (uint32_t i = 0; i < client.n; i++) {
		if (client.c[i].err == -ECONNREFUSED)
			refused++;
		else if (client.c[i].err == 0 && client.c[i].rx_off == client.c[i].total)
			ok++;
	}
	/* Slots full: RST to the extra SYNs, counted; the admitted ones finish intact. */
	cr_assert_eq(ok, 4, "ok %u refused %u", ok, refused);
	cr_assert_eq(refused, 6);
	cr_assert_geq(ss->cnt[TCP_CNT_CONN_REFUSED_SLOTS], 6);
	run_for(5000000);
	cr_assert_eq(tcp_conns_in_use(sim.node[1].tcp), 0);
	while (sim.qlen > 0)
		sim_step(&sim);
	cr_assert_eq(sim_mbufs_in_use(&sim.node[1]), 0);
	sim_destroy(&sim);
}

Test(tcp_sim, request_response_never_waits_for_delayed_ack, .init = eal_setup)
{
	uint64_t start;

	rec_pair(NULL, NULL);
	start = sim.now_us;
	/* 200 ping-pongs of 100 bytes; each must take about one RTT (0.4 ms), not 40 ms. */
	for (int i = 0; i < 200; i++) {
		uint64_t want = rec_cli.rx + 100;

		cr_assert_eq(tcp_send(sim.node[0].tcp, rec_cli.h, payload(0, 100, 1), sim.now_us),
		             0);
		sim_flush(&sim);
		while (rec_srv.rx < (uint64_t)(i + 1) * 100)
			sim_step(&sim);
		cr_assert_eq(tcp_send(sim.node[1].tcp, rec_srv.h, payload(1, 100, 2), sim.now_us),
		             0);
		sim_flush(&sim);
		while (rec_cli.rx < want)
			sim_step(&sim);
	}
	cr_assert_lt(sim.now_us - start, 200 * 2000, "%lu us for 200 exchanges",
	             sim.now_us - start);
	cr_assert_eq(tcp_stack_stats(sim.node[0].tcp)->cnt[TCP_CNT_RETRANSMITS], 0);
	tcp_close(sim.node[0].tcp, rec_cli.h, sim.now_us);
	tcp_close(sim.node[1].tcp, rec_srv.h, sim.now_us);
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, peer_reset_mid_transfer, .init = eal_setup)
{
	rec_pair(NULL, NULL);
	for (int i = 0; i < 30; i++)
		cr_assert_eq(tcp_send(sim.node[0].tcp, rec_cli.h, payload(0, 1400, 3), sim.now_us),
		             0);
	sim_flush(&sim);
	sim_step(&sim);
	cr_assert_eq(tcp_abort(sim.node[0].tcp, rec_cli.h, sim.now_us), 0);
	run_for(100000);
	cr_assert(rec_srv.closed);
	cr_assert_eq(rec_srv.err, -ECONNRESET);
	cr_assert(!rec_cli.closed); /* abort: no callback to the aborting side */
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, connect_refused_and_timeout, .init = eal_setup)
{
	struct sim_node_conf cc;

	conf_default(&cc, IP_CLIENT, 1);
	cc.tcp.syn_retries = 2;
	setup_pair(4, NULL, &cc, NULL);
	memset(&rec_cli, 0, sizeof(rec_cli));
	/* No listener on port 9: RST -> ECONNREFUSED. */
	cr_assert_eq(tcp_connect(sim.node[0].tcp, IP_SERVER, 9, 0, &rec_ops, &rec_cli, sim.now_us,
	                         &rec_cli.h),
	             0);
	run_for(100000);
	cr_assert(rec_cli.closed);
	cr_assert_eq(rec_cli.err, -ECONNREFUSED);
	/* Nothing answers: SYN retransmitted syn_retries times, then ETIMEDOUT. */
	memset(&rec_cli, 0, sizeof(rec_cli));
	sim.imp[0].drop = 1.0;
	cr_assert_eq(tcp_connect(sim.node[0].tcp, IP_SERVER, ECHO_PORT, 0, &rec_ops, &rec_cli,
	                         sim.now_us, &rec_cli.h),
	             0);
	run_for(10000000);
	cr_assert(rec_cli.closed);
	cr_assert_eq(rec_cli.err, -ETIMEDOUT);
	sim.imp[0].drop = 0;
	leak_check();
	sim_destroy(&sim);
}

Test(tcp_sim, spoofed_syn_flood_with_legitimate_clients, .init = eal_setup)
{
	struct sim_node_conf cc, sc;
	struct tcp_stats *ss;

	conf_default(&cc, IP_CLIENT, 1);
	conf_default(&sc, IP_SERVER, 2);
	sc.tcp.syn_backlog = 8;
	sc.tcp.syn_retries = 2;
	setup_pair(13, NULL, &cc, &sc);
	net_arp_add_static(sim.node[0].ifc, IP_SERVER, &net_iface_params(sim.node[1].ifc)->mac);
	/* Spoofed sources off the subnet never answer (their SYN-ACKs have no route). */
	for (uint32_t i = 0; i < 300; i++)
		inject_raw(0x0ac80000u + i + 1, (uint16_t)(1024 + i), ECHO_PORT, i * 7919u, 0,
		           TCP_SYN);
	ss = tcp_stack_stats(sim.node[1].tcp);
	cr_assert_eq(ss->conns[TCP_STATE_SYN_RECEIVED], 8);
	cr_assert_geq(ss->cnt[TCP_CNT_SYN_COOKIES_SENT], 292);
	for (uint32_t i = 0; i < 50; i++)
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, i, 3000), 0);
	run_to_completion(30ULL * 1000000);
	cr_assert_gt(ss->cnt[TCP_CNT_SYN_COOKIES_OK], 0);
	/* The half-open spoofed connections time out without reaching the application. */
	run_for(30ULL * 1000000);
	cr_assert_eq(ss->conns[TCP_STATE_SYN_RECEIVED], 0);
	check_invariants("flood");
	sim_destroy(&sim);
}

static bool
even_ports_only(void *ctx, const struct tcp_tuple *t)
{
	(void)ctx;
	return (t->local_port & 1) == 0;
}

Test(tcp_sim, connect_source_port_filter, .init = eal_setup)
{
	/* The RSS hook: active opens only take source ports the filter accepts. */
	setup_pair(8, NULL, NULL, NULL);
	tcp_set_port_filter(sim.node[0].tcp, even_ports_only, NULL);
	for (uint32_t i = 0; i < 10; i++) {
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, i, 100), 0);
		cr_assert_eq(only_conn_port(i) & 1, 0);
	}
	run_to_completion(10ULL * 1000000);
	check_invariants("filter");
	sim_destroy(&sim);
}

/* ---- SACK-based loss recovery (RFC 6675) against targeted drops ---- */

/*
 * One-way bulk transfer node 0 -> node 1 of a pseudo-random stream, written in chunks of one
 * segment's payload so segment boundaries stay put and a rule can name "segment k". The
 * receiver checks every byte and consumes at once; the sender closes after the last byte.
 */
struct bulk_end {
	struct tcp_handle h;
	bool up, peer_closed, closed, close_sent;
	int err;
	uint64_t off; /* sender: bytes queued; receiver: bytes checked */
	uint64_t bad; /* receiver: first mismatch + 1 */
};

static struct {
	struct bulk_end tx, rx;
	uint64_t seed, total;
	uint32_t chunk;
} bulk;

static int
bulk_accept(void *l, struct tcp_handle h, void **ctx)
{
	(void)l;
	bulk.rx.h = h;
	bulk.rx.up = true;
	*ctx = &bulk.rx;
	return 0;
}

static void
bulk_connected(void *ctx, struct tcp_handle h)
{
	(void)ctx;
	bulk.tx.h = h;
	bulk.tx.up = true;
}

static void
bulk_recv(void *ctx, struct tcp_handle h, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	(void)ctx;
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		for (uint32_t i = 0; i < s->data_len; i++, bulk.rx.off++)
			if (bulk.rx.bad == 0 && (bulk.rx.off >= bulk.total ||
			                         p[i] != sim_stream_byte(bulk.seed, bulk.rx.off)))
				bulk.rx.bad = bulk.rx.off + 1;
	}
	rte_pktmbuf_free(m);
	tcp_recv_done(sim.node[1].tcp, h, len, sim.now_us);
}

static void
bulk_peer_closed(void *ctx, struct tcp_handle h)
{
	struct bulk_end *e = ctx;

	e->peer_closed = true;
	if (e == &bulk.rx)
		tcp_close(sim.node[1].tcp, h, sim.now_us);
}

static void
bulk_closed(void *ctx, struct tcp_handle h, int err)
{
	struct bulk_end *e = ctx;

	(void)h;
	e->closed = true;
	e->err = err;
}

static const struct tcp_app_ops bulk_ops = {
        .accept = bulk_accept,
        .connected = bulk_connected,
        .recv = bulk_recv,
        .peer_closed = bulk_peer_closed,
        .closed = bulk_closed,
};

static void
bulk_pump(void)
{
	while (bulk.tx.up && !bulk.tx.closed && bulk.tx.off < bulk.total) {
		uint32_t len = bulk.chunk;
		struct rte_mbuf *m;
		uint8_t *p;

		if (len > bulk.total - bulk.tx.off)
			len = (uint32_t)(bulk.total - bulk.tx.off);
		m = rte_pktmbuf_alloc(sim.node[0].pool);
		cr_assert_not_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
		for (uint32_t i = 0; i < len; i++)
			p[i] = sim_stream_byte(bulk.seed, bulk.tx.off + i);
		if (tcp_send(sim.node[0].tcp, bulk.tx.h, m, sim.now_us) != 0) {
			rte_pktmbuf_free(m);
			return;
		}
		bulk.tx.off += len;
	}
	if (bulk.tx.up && bulk.tx.off == bulk.total && !bulk.tx.close_sent) {
		bulk.tx.close_sent = true;
		tcp_close(sim.node[0].tcp, bulk.tx.h, sim.now_us);
	}
}

/*
 * Drop rules, matched on the frame as it leaves: a data segment from node 0 holding stream
 * offset off, or a pure ACK from node 1 acknowledging stream offset off and carrying a SACK
 * option. skip matches pass first, then times matches are dropped.
 */
struct drop_rule {
	bool ack;
	uint64_t off;
	uint32_t skip, times;
};

static struct {
	struct drop_rule r[16];
	uint32_t n;
	uint32_t base; /* sequence number of stream offset 0 (node 0's ISS + 1) */
	uint32_t dropped;
} drops;

static bool
drop_match(void *ctx, unsigned int dir, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_tcp_hdr *th;
	const uint8_t *o, *end;
	uint32_t ihl, thl, plen, seq, ack;
	bool sack = false;

	(void)ctx;
	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ih->next_proto_id != IPPROTO_TCP)
		return false;
	ihl = (ih->version_ihl & 0xf) * 4u;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ih + ihl);
	thl = (th->data_off >> 4) * 4u;
	plen = rte_be_to_cpu_16(ih->total_length) - ihl - thl;
	seq = rte_be_to_cpu_32(th->sent_seq) - drops.base;
	ack = rte_be_to_cpu_32(th->recv_ack) - drops.base;
	for (o = (const uint8_t *)(th + 1), end = (const uint8_t *)th + thl; o < end;) {
		if (*o == 0)
			break;
		if (*o == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2)
			break;
		sack = sack || *o == 5;
		o += o[1];
	}
	for (uint32_t i = 0; i < drops.n; i++) {
		struct drop_rule *r = &drops.r[i];
		bool hit;

		if (r->times == 0)
			continue;
		if (r->ack)
			hit = dir == 1 && plen == 0 && sack && ack == (uint32_t)r->off;
		else
			hit = dir == 0 && plen > 0 && (uint32_t)r->off - seq < plen;
		if (!hit)
			continue;
		if (r->skip > 0) {
			r->skip--;
			return false;
		}
		r->times--;
		drops.dropped++;
		return true;
	}
	return false;
}

static void
drop_seg(uint32_t k, uint32_t times)
{
	cr_assert_lt(drops.n, 16);
	drops.r[drops.n++] = (struct drop_rule){.off = (uint64_t)k * bulk.chunk, .times = times};
}

/* The counters of one run, read from the sender (node 0). */
struct run_result {
	uint64_t rtx_bytes, rtx, rto, fast, sack_rec, sack_rtx, rescue, reneging, blocks;
	uint64_t done_us; /* virtual time from connect to the last byte checked */
};

/*
 * Connects node 0 to node 1 (SACK offered by both unless receiver_sack is false), arms the
 * drop rules the caller added after bulk_setup(), and returns the bytes of one payload.
 */
static uint32_t
bulk_setup(bool receiver_sack, uint64_t total)
{
	struct sim_node_conf cc, sc;

	conf_default(&cc, IP_CLIENT, 1);
	conf_default(&sc, IP_SERVER, 2);
	sc.tcp.sack = receiver_sack;
	setup_pair(21, NULL, &cc, &sc);
	tcp_unlisten(sim.node[1].tcp, ECHO_PORT);
	memset(&bulk, 0, sizeof(bulk));
	memset(&drops, 0, sizeof(drops));
	bulk.seed = 0x5eed;
	bulk.total = total;
	cr_assert_eq(tcp_listen(sim.node[1].tcp, ECHO_PORT, &bulk_ops, &bulk.rx), 0);
	cr_assert_eq(tcp_connect(sim.node[0].tcp, IP_SERVER, ECHO_PORT, 0, &bulk_ops, &bulk.tx,
	                         sim.now_us, &bulk.tx.h),
	             0);
	drops.base = only_conn(0)->iss + 1;
	for (uint64_t end = sim.now_us + 100000; sim.now_us < end && !(bulk.tx.up && bulk.rx.up);) {
		sim_flush(&sim);
		sim_step(&sim);
	}
	cr_assert(bulk.tx.up && bulk.rx.up);
	cr_assert_eq(!!(only_conn(0)->flags & TCPF_SACK_OK), receiver_sack);
	bulk.chunk = tcp_seg_payload_max(only_conn(0));
	sim.drop_fn = drop_match;
	return bulk.chunk;
}

/* Runs the transfer to the end, checks it, and returns the sender's counters. */
static struct run_result
bulk_run(const char *what)
{
	struct tcp_stats *cs = tcp_stack_stats(sim.node[0].tcp);
	uint64_t start = sim.now_us;
	struct run_result r;

	memset(&r, 0, sizeof(r));
	for (uint64_t end = sim.now_us + 60ULL * 1000000; sim.now_us < end && !bulk.rx.closed;) {
		bulk_pump();
		sim_flush(&sim);
		sim_step(&sim);
		if (bulk.rx.off == bulk.total && r.done_us == 0)
			r.done_us = sim.now_us - start;
	}
	cr_assert(bulk.rx.closed, "%s: receiver not closed (%lu of %lu bytes)", what, bulk.rx.off,
	          bulk.total);
	cr_assert_eq(bulk.rx.bad, 0, "%s: stream differs at %lu", what, bulk.rx.bad - 1);
	cr_assert_eq(bulk.rx.off, bulk.total, "%s: %lu of %lu bytes", what, bulk.rx.off,
	             bulk.total);
	cr_assert_eq(bulk.rx.err, 0, "%s: receiver closed with %d", what, bulk.rx.err);
	r.rtx_bytes = cs->cnt[TCP_CNT_RETRANSMIT_BYTES];
	r.rtx = cs->cnt[TCP_CNT_RETRANSMITS];
	r.rto = cs->cnt[TCP_CNT_RTO_EXPIRED];
	r.fast = cs->cnt[TCP_CNT_FAST_RETRANSMITS];
	r.sack_rec = cs->cnt[TCP_CNT_SACK_RECOVERY];
	r.sack_rtx = cs->cnt[TCP_CNT_SACK_RETRANSMITS];
	r.rescue = cs->cnt[TCP_CNT_SACK_RESCUE_RETRANSMITS];
	r.reneging = cs->cnt[TCP_CNT_SACK_RENEGING];
	r.blocks = cs->cnt[TCP_CNT_SACK_BLOCKS_RX];
	/* Numbers for the record (stderr; Criterion keeps stdout for TAP). */
	fprintf(stderr,
	        "%s: %u segments dropped by rule, retransmitted %lu bytes in %lu segments, "
	        "rto %lu, fast %lu, sack recoveries %lu, sack rtx %lu (rescue %lu), reneging "
	        "%lu, sack blocks %lu, done after %lu us\n",
	        what, drops.dropped, r.rtx_bytes, r.rtx, r.rto, r.fast, r.sack_rec, r.sack_rtx,
	        r.rescue, r.reneging, r.blocks, r.done_us);
	sim.drop_fn = NULL;
	leak_check();
	sim_destroy(&sim);
	return r;
}

/* Stream of 300 segments: the window (64 KiB) holds about 45 of them. */
#define BULK_SEGS 300

Test(tcp_sack, one_hole_recovers_without_rto, .init = eal_setup)
{
	uint32_t pmax = bulk_setup(true, 0);
	struct run_result r;

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	drop_seg(100, 1);
	r = bulk_run("sack one hole");
	/* RFC 6675 §5: three SACKed segments above the hole -> fast retransmit, no timeout. */
	cr_assert_eq(r.rto, 0);
	cr_assert_eq(r.sack_rec, 1);
	cr_assert_eq(r.fast, 1);
	cr_assert_eq(r.sack_rtx, 1);
	cr_assert_eq(r.rtx_bytes, pmax, "retransmitted %lu bytes for one lost segment",
	             r.rtx_bytes);
	cr_assert_gt(r.blocks, 0);
}

static const uint32_t holes4[] = {100, 103, 106, 109};

static struct run_result
run_holes(bool sack, const uint32_t *segs, size_t n, const uint32_t *twice, size_t ntwice,
          const char *what)
{
	uint32_t pmax = bulk_setup(sack, 0);

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	for (size_t i = 0; i < n; i++) {
		bool again = false;

		for (size_t j = 0; j < ntwice; j++)
			again = again || twice[j] == segs[i];
		/* twice: the original and its first retransmission are lost. */
		drop_seg(segs[i], again ? 2 : 1);
	}
	return bulk_run(what);
}

Test(tcp_sack, several_holes_one_window, .init = eal_setup)
{
	struct run_result s = run_holes(true, holes4, 4, NULL, 0, "sack 4 holes");
	uint32_t pmax = bulk.chunk;
	struct run_result nr = run_holes(false, holes4, 4, NULL, 0, "newreno 4 holes");

	/* One recovery repairs all four holes with exactly the lost bytes, no timeout. */
	cr_assert_eq(s.rto, 0);
	cr_assert_eq(s.sack_rec, 1);
	cr_assert_eq(s.sack_rtx, 4);
	cr_assert_eq(s.rtx_bytes, 4 * pmax, "sack retransmitted %lu bytes", s.rtx_bytes);
	/* NewReno repairs one hole per round trip (RFC 6582 partial ACKs). */
	cr_assert_eq(nr.sack_rec, 0);
	cr_assert_geq(nr.rtx_bytes, s.rtx_bytes);
	cr_assert_lt(s.done_us, nr.done_us, "sack %lu us, newreno %lu us", s.done_us, nr.done_us);
}

Test(tcp_sack, lost_retransmissions_fewer_bytes_than_newreno, .init = eal_setup)
{
	static const uint32_t twice[] = {100, 106};
	struct run_result s = run_holes(true, holes4, 4, twice, 2, "sack 4 holes, 2 rtx lost");
	uint32_t pmax = bulk.chunk;
	struct run_result nr = run_holes(false, holes4, 4, twice, 2, "newreno 4 holes, 2 rtx lost");

	/*
	 * RFC 6675 cannot see a lost retransmission: the timeout repairs it. After it the
	 * scoreboard is rebuilt from the ACKs and go-back-N resends only the two holes still
	 * missing (§5.1), where NewReno resends data the receiver already holds.
	 */
	cr_assert_eq(s.rto, 1);
	cr_assert_eq(s.sack_rtx, 4);
	cr_assert_eq(s.rtx_bytes, 6 * pmax, "sack retransmitted %lu bytes", s.rtx_bytes);
	cr_assert_geq(nr.rto, 1);
	cr_assert_lt(s.rtx_bytes, nr.rtx_bytes, "sack %lu bytes, newreno %lu bytes", s.rtx_bytes,
	             nr.rtx_bytes);
}

Test(tcp_sack, tail_loss_rescue_retransmission, .init = eal_setup)
{
	static const uint32_t segs[] = {30, 39};
	uint32_t pmax = bulk_setup(true, 0);
	struct run_result r;

	/* 40 segments: the last one, which carries the FIN, is lost with an earlier one. */
	bulk.total = 40ULL * pmax;
	drop_seg(segs[0], 1);
	drop_seg(segs[1], 1);
	r = bulk_run("sack tail loss");
	/*
	 * Nothing is SACKed above the last segment, so it is never IsLost(): NextSeg rule 4
	 * resends it (with the FIN) once SND.UNA passes the first retransmission.
	 */
	cr_assert_eq(r.rto, 0);
	cr_assert_eq(r.sack_rec, 1);
	cr_assert_eq(r.rescue, 1);
	cr_assert_eq(r.sack_rtx, 2);
	cr_assert_eq(r.rtx_bytes, 2 * pmax);
}

Test(tcp_sack, recovery_entered_by_islost_before_three_dupacks, .init = eal_setup)
{
	uint32_t pmax = bulk_setup(true, 0);
	struct tcp_conn *cli = only_conn(0);
	uint16_t dupacks_at_entry = 0;
	bool entered = false;

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	drop_seg(100, 1);
	/* The first two duplicate ACKs are lost: the third SACKs three segments at once. */
	drops.r[drops.n++] = (struct drop_rule){.ack = true, .off = 100ULL * pmax, .times = 2};
	while (!entered && sim.now_us < 60ULL * 1000000) {
		bulk_pump();
		sim_flush(&sim);
		sim_step(&sim);
		if (cli->flags & TCPF_SACK_RECOVERY) {
			entered = true;
			dupacks_at_entry = cli->dupacks;
		}
	}
	cr_assert(entered);
	/* RFC 6675 §5 (1.2): IsLost(HighACK + 1) with a single duplicate ACK. */
	cr_assert_eq(dupacks_at_entry, 1);
	cr_assert_eq(drops.dropped, 3);
	cr_assert_eq(bulk_run("sack entry by IsLost").rto, 0);
}

/* RFC 2018 §8: the receiver discards the out-of-order data it has SACKed. */
static void
renege(struct tcp_conn *srv)
{
	struct rte_mbuf *m = srv->ooo_head;

	while (m != NULL) {
		struct rte_mbuf *next = tcp_meta(sim.node[1].tcp, m)->next_pkt;

		rte_pktmbuf_free(m);
		m = next;
	}
	srv->ooo_head = NULL;
	srv->ooo_bytes = 0;
}

Test(tcp_sack, reneging_receiver, .init = eal_setup)
{
	uint32_t pmax = bulk_setup(true, 0);
	struct tcp_conn *cli = only_conn(0), *srv = only_conn(1);
	struct run_result r;
	bool reneged = false;

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	drop_seg(100, 1);
	while (!reneged && sim.now_us < 60ULL * 1000000) {
		bulk_pump();
		sim_flush(&sim);
		sim_step(&sim);
		/* In recovery, before the retransmission reaches the receiver. */
		if ((cli->flags & TCPF_SACK_RECOVERY) && srv->ooo_head != NULL) {
			cr_assert_gt(cli->sack.n, 0);
			renege(srv);
			reneged = true;
		}
	}
	cr_assert(reneged);
	r = bulk_run("sack reneging");
	/* The cumulative ACK stops inside SACKed data: detected, the data is sent again. */
	cr_assert_eq(r.reneging, 1);
	cr_assert_gt(r.rtx_bytes, pmax);
}

Test(tcp_sack, peer_without_sack_recovers_with_newreno, .init = eal_setup)
{
	uint32_t pmax = bulk_setup(false, 0);
	struct run_result r;

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	drop_seg(100, 1);
	drop_seg(103, 1);
	drop_seg(106, 1);
	r = bulk_run("newreno 3 holes");
	/* RFC 6582: one fast retransmit, then one partial ACK per remaining hole. */
	cr_assert_eq(r.sack_rec, 0);
	cr_assert_eq(r.blocks, 0);
	cr_assert_eq(r.fast, 1);
	cr_assert_eq(r.rto, 0);
	cr_assert_eq(r.rtx_bytes, 3 * pmax);
}

/* Retransmitted bytes (both nodes) of the echo workload over one seed, SACK on or off. */
static uint64_t
echo_rtx_bytes(uint64_t seed, const struct sim_impair *imp, bool sack, uint64_t *rto)
{
	struct sim_node_conf cc, sc;
	char what[64];
	uint64_t bytes = 0;

	snprintf(what, sizeof(what), "seed %lu sack %d", seed, sack);
	conf_default(&cc, IP_CLIENT, 1);
	conf_default(&sc, IP_SERVER, 2);
	cc.tcp.sack = sc.tcp.sack = sack;
	setup_pair(seed, imp, &cc, &sc);
	for (uint32_t i = 0; i < 8; i++)
		cr_assert_geq(sim_client_open(&client, IP_SERVER, ECHO_PORT, seed * 1000 + i,
		                              256 * 1024 + i * 777),
		              0);
	run_to_completion(120ULL * 1000000);
	check_invariants_opt(what, true);
	for (unsigned int n = 0; n < 2; n++) {
		struct tcp_stats *ts = tcp_stack_stats(sim.node[n].tcp);

		bytes += ts->cnt[TCP_CNT_RETRANSMIT_BYTES];
		*rto += ts->cnt[TCP_CNT_RTO_EXPIRED];
		cr_assert_eq(ts->cnt[TCP_CNT_SACK_RECOVERY] > 0, sack, "%s", what);
	}
	sim_destroy(&sim);
	return bytes;
}

Test(tcp_sack, random_loss_fewer_bytes_than_newreno, .init = eal_setup)
{
	/* 3% drop and some reordering: several holes per window, now and then. */
	struct sim_impair imp = {.drop = 0.03, .dup = 0.01, .reorder = 0.01};
	uint64_t sack = 0, newreno = 0, sack_rto = 0, newreno_rto = 0;

	for (uint64_t seed = 1; seed <= 4; seed++) {
		sack += echo_rtx_bytes(seed, &imp, true, &sack_rto);
		newreno += echo_rtx_bytes(seed, &imp, false, &newreno_rto);
	}
	fprintf(stderr,
	        "echo 8 x 256 KiB each way, 4 seeds, 3%% drop: retransmitted %lu bytes with SACK "
	        "(%lu RTO), %lu with NewReno (%lu RTO)\n",
	        sack, sack_rto, newreno, newreno_rto);
	cr_assert_lt(sack, newreno);
}

/* Injects a pure ACK with a SACK option into node 0, as node 1's connection would send it. */
static void
inject_sack_to_client(const struct tcp_conn *from, uint32_t ack, const struct tcp_sack_blk *blk,
                      unsigned int n)
{
	struct sim_node *to = &sim.node[0];
	struct rte_mbuf *m = rte_pktmbuf_alloc(to->pool);
	uint16_t thl = (uint16_t)(sizeof(struct rte_tcp_hdr) + 4 + 8 * n);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	struct rte_tcp_hdr *th;
	uint8_t *o;

	cr_assert_not_null(m);
	cr_assert_leq(n, 4);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ih) + thl);
	ih = (struct rte_ipv4_hdr *)(eh + 1);
	th = (struct rte_tcp_hdr *)(ih + 1);
	memset(eh, 0, sizeof(*eh) + sizeof(*ih) + thl);
	eh->dst_addr = net_iface_params(to->ifc)->mac;
	eh->src_addr = net_iface_params(sim.node[1].ifc)->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + thl));
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_TCP;
	ih->src_addr = rte_cpu_to_be_32(IP_SERVER);
	ih->dst_addr = rte_cpu_to_be_32(IP_CLIENT);
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	th->src_port = rte_cpu_to_be_16(from->t.local_port);
	th->dst_port = rte_cpu_to_be_16(from->t.remote_port);
	th->sent_seq = rte_cpu_to_be_32(from->snd_nxt);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = TCP_ACK;
	th->rx_win =
	        rte_cpu_to_be_16((uint16_t)((from->rcv_adv - from->rcv_nxt) >> from->rcv_wscale));
	o = (uint8_t *)(th + 1);
	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	o[3] = (uint8_t)(2 + 8 * n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t l = rte_cpu_to_be_32(blk[i].start), r = rte_cpu_to_be_32(blk[i].end);

		memcpy(o + 4 + 8 * i, &l, 4);
		memcpy(o + 8 + 8 * i, &r, 4);
	}
	th->cksum =
	        net_l4_cksum(m, sizeof(*eh) + sizeof(*ih), thl, IP_SERVER, IP_CLIENT, IPPROTO_TCP);
	net_rx(to->ifc, m, sim.now_us);
	tcp_flush(to->tcp);
}

Test(tcp_sack, bogus_sack_blocks_are_ignored_and_counted, .init = eal_setup)
{
	uint32_t pmax = bulk_setup(true, 0);
	struct tcp_conn *cli = only_conn(0), *srv = only_conn(1);
	struct tcp_stats *cs = tcp_stack_stats(sim.node[0].tcp);
	uint32_t una, max;

	bulk.total = (uint64_t)BULK_SEGS * pmax;
	/* Hold the receiver's ACKs back so data stays outstanding. */
	sim.imp[1].drop = 1.0;
	for (int i = 0; i < 20; i++) {
		bulk_pump();
		sim_flush(&sim);
		sim_step(&sim);
	}
	una = cli->snd_una;
	max = cli->snd_max;
	cr_assert_gt(max - una, 4 * pmax);
	/* Beyond SND.MAX, inverted, a D-SACK below SND.UNA, one starting at SND.UNA. */
	inject_sack_to_client(srv, una,
	                      (const struct tcp_sack_blk[]){{max - pmax, max + 1},
	                                                    {una + 2 * pmax, una + pmax},
	                                                    {una - 100, una},
	                                                    {una, una + pmax}},
	                      4);
	cr_assert_eq(cs->cnt[TCP_CNT_SACK_BLOCKS_RX], 4);
	cr_assert_eq(cs->cnt[TCP_CNT_SACK_BLOCKS_IGNORED], 4);
	cr_assert_eq(cli->sack.n, 0);
	cr_assert_eq(cli->dupacks, 0);
	cr_assert_eq(cli->snd_una, una);
	/* A valid one is recorded and is a duplicate ACK (RFC 6675 §2), not yet a recovery. */
	inject_sack_to_client(srv, una, (const struct tcp_sack_blk[]){{una + pmax, una + 2 * pmax}},
	                      1);
	cr_assert_eq(cs->cnt[TCP_CNT_SACK_BLOCKS_IGNORED], 4);
	cr_assert_eq(cli->sack.n, 1);
	cr_assert_eq(cli->dupacks, 1);
	cr_assert(!(cli->flags & TCPF_IN_RECOVERY));
	/* The path heals; the transfer completes intact. */
	sim.imp[1].drop = 0;
	bulk_run("bogus sack blocks");
}
