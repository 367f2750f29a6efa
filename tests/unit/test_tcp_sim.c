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
