/*
 * peerprobe: a test helper that plays a peer by hand.
 *
 *	peerprobe [-v version] [-m min_version] [-C cluster] [-i node_id]
 *	    [-a] [-k keyfile] [-b source] [-r record | -p replay]
 *	    [-A ca -c cert -K key | -P] [-R corr[-last] [-S subject]]
 *	    host port
 *
 * Connects, sends one HELLO built from the options, and reports what the
 * daemon answered, one line on stdout:
 *	REFUSE <reason name>: <text>
 *	ACK			its HELLO_ACK; with -a, its first ECHO: the
 *				stream was established
 *	CLOSED
 * With -a it acknowledges the daemon's HELLO, proving the key in keyfile
 * (-k) if given.  -b binds the source address.  -r writes every byte it
 * sent to a file; -p sends such a recording verbatim instead, to check
 * that a captured handshake cannot be replayed.  -A runs the stream in
 * TLS 1.3, verifying the daemon against the CA in ca and presenting
 * cert and key; -P runs it in TLS 1.3 keyed by the cluster key of -k (the
 * daemon's default).  A TLS failure is an answer
 * too:
 *	TLS <reason>
 * As the dialling end, the probe proves the key first (-a): its proof
 * binds the role and, in TLS, the session (cohort-protocol(7)).
 * -R (with -a) plays a node that answers a request it was never sent:
 * once the stream is up it sends an ECHO, then one DATA frame with the
 * REPLY flag for each correlation id from corr to last (decimal, or hex
 * with 0x), on subject (default "forged"), body "forged by <node_id>",
 * and waits for the daemon's ECHO to acknowledge them all:
 *	REPLIED <n>		n frames sent and taken
 * Exit 0 when an answer was read, 1 on a local error or after 5 s.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/auth.h"
#include "common/wire.h"
#include "daemon/io/tls.h"

static FILE	*record;
static SSL	*ssl;		/* with -A */

#define REPLIES_MAX	100000	/* -R: frames at most */

/*
 * A TLS failure is the daemon's answer: report it and stop.  In TLS 1.3
 * the server checks our certificate after our handshake is done, so its
 * refusal may show only as a reset stream when we write.
 */
static void __attribute__((noreturn))
tls_answer(void)
{
	unsigned long	 e = ERR_get_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;

	printf("TLS %s\n", r != NULL ? r : errno != 0 ? strerror(errno) :
	    "stream closed");
	exit(0);
}

static void
tls_start(int fd, const char *ca, const char *cert, const char *key)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
	    (cert != NULL && SSL_CTX_use_certificate_chain_file(ctx,
	    cert) != 1) || (key != NULL && SSL_CTX_use_PrivateKey_file(ctx,
	    key, SSL_FILETYPE_PEM) != 1))
		errx(1, "TLS setup: %s", ERR_reason_error_string(
		    ERR_get_error()));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		errx(1, "SSL_new");
	if (SSL_connect(ssl) != 1)
		tls_answer();
}

/* TLS keyed by the cluster key, as the daemon makes it by default. */
static void
tls_start_psk(int fd, const struct auth_key *key)
{
	static struct auth_keys	 keys;
	SSL_CTX			*ctx;
	char			 msg[256];

	keys.key[0] = *key;
	keys.n = 1;
	if ((ctx = tls_psk_ctx_new(&keys, msg, sizeof(msg))) == NULL)
		errx(1, "TLS setup: %s", msg);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		errx(1, "SSL_new");
	if (SSL_connect(ssl) != 1)
		tls_answer();
}

static ssize_t
io_read(int fd, void *buf, size_t len)
{
	int	n;

	if (ssl == NULL)
		return (read(fd, buf, len));
	errno = 0;
	if ((n = SSL_read(ssl, buf, (int)len)) <= 0 &&
	    SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN)
		tls_answer();
	return (n);
}

static void
io_write(int fd, const void *buf, size_t len)
{
	if (ssl != NULL) {
		errno = 0;
		if (SSL_write(ssl, buf, (int)len) != (int)len)
			tls_answer();
	} else if (write(fd, buf, len) != (ssize_t)len)
		err(1, "write");
}

static int
dial(const char *host, const char *port, const char *source)
{
	struct addrinfo	hints, *res, *src;
	int		fd, rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rv = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s: %s", host, gai_strerror(rv));
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (source != NULL) {
		if ((rv = getaddrinfo(source, NULL, &hints, &src)) != 0)
			errx(1, "%s: %s", source, gai_strerror(rv));
		if (bind(fd, src->ai_addr, src->ai_addrlen) == -1)
			err(1, "bind %s", source);
		freeaddrinfo(src);
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1)
		err(1, "connect %s port %s", host, port);
	freeaddrinfo(res);
	return (fd);
}

/*
 * Read one whole frame into out; 0 on EOF.  Bytes past it stay in the
 * static input buffer for the next call.
 */
static size_t
read_frame(int fd, uint8_t *out, size_t cap)
{
	static uint8_t	 in[65536];
	static size_t	 have;
	struct wire_hdr	 hdr;
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	size_t		 len;
	ssize_t		 n;

	for (;;) {
		if (wire_check_header(in, have, cap, WIRE_PEER, &hdr) ==
		    WIRE_OK && have >= hdr.len) {
			len = hdr.len;
			memcpy(out, in, len);
			memmove(in, in + len, have - len);
			have -= len;
			return (len);
		}
		if ((ssl == NULL || SSL_pending(ssl) == 0) &&
		    poll(&pfd, 1, 5000) != 1)
			errx(1, "no answer in 5 s");
		if ((n = io_read(fd, in + have, sizeof(in) - have)) <= 0)
			return (0);
		have += (size_t)n;
	}
}

static void
send_all(int fd, const uint8_t *buf, size_t len)
{
	io_write(fd, buf, len);
	if (record != NULL && fwrite(buf, 1, len, record) != len)
		err(1, "record");
}

static void
replay(int fd, const char *path)
{
	uint8_t	buf[8192];
	size_t	n;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		io_write(fd, buf, n);
	fclose(fp);
}

/* -R: "corr" or "corr-last". */
static void
parse_corrs(const char *arg, uint64_t *first, uint64_t *last)
{
	char	*end;

	*first = strtoull(arg, &end, 0);
	*last = *first;
	if (*end == '-')
		*last = strtoull(end + 1, &end, 0);
	if (*end != '\0' || *first == 0 || *last < *first ||
	    *last - *first >= REPLIES_MAX)
		errx(1, "-R %s: a correlation id, or first-last (at most %d)",
		    arg, REPLIES_MAX);
}

/*
 * The stream is up: an ECHO (so the daemon counts it established), the
 * forged replies, then wait for an ECHO that acknowledges them all.
 */
static void
send_replies(int fd, const struct wire_hello *h, uint64_t first,
    uint64_t last, const char *subject)
{
	struct wire_echo	e;
	struct wire_data	d;
	struct wire_hdr		hdr;
	uint8_t			buf[8192];
	char			body[WIRE_ID_MAX + 16];
	size_t			len;
	uint64_t		corr, n = last - first + 1;

	memset(&e, 0, sizeof(e));
	e.seq = 1;
	e.ts_us = 1;
	strlcpy(e.node_id, h->node_id, sizeof(e.node_id));
	send_all(fd, buf, wire_encode_echo(buf, sizeof(buf), &e));
	snprintf(body, sizeof(body), "forged by %s", h->node_id);
	memset(&d, 0, sizeof(d));
	d.flags = DATA_REPLY;
	strlcpy(d.origin, h->node_id, sizeof(d.origin));
	strlcpy(d.subject, subject, sizeof(d.subject));
	d.body = (const uint8_t *)body;
	d.body_len = strlen(body);
	for (corr = first; corr <= last; corr++) {
		d.corr = corr;
		if ((len = wire_encode_data(buf, sizeof(buf), &d)) == 0)
			errx(1, "cannot encode a DATA frame");
		send_all(fd, buf, len);
	}
	while ((len = read_frame(fd, buf, sizeof(buf))) > 0) {
		(void)wire_check_header(buf, len, sizeof(buf), WIRE_PEER, &hdr);
		if (hdr.type == WT_ECHO && wire_decode_echo(buf, len, &e) ==
		    WIRE_OK && e.data_acked >= n) {
			printf("REPLIED %llu\n", (unsigned long long)n);
			return;
		}
		if (hdr.type == WT_REFUSE || hdr.type == WT_BYE)
			break;
	}
	printf("CLOSED\n");
}

int
main(int argc, char *argv[])
{
	struct wire_hello	 h, theirs;
	struct wire_hello_ack	 ack;
	struct wire_refuse	 r;
	struct wire_hdr		 hdr;
	struct auth_key		 key;
	struct auth_transcript	 t;
	uint8_t			 buf[8192], nonce[WIRE_NONCE_LEN];
	size_t			 len;
	const char		*source = NULL, *keyfile = NULL, *replayfile = NULL;
	const char		*ca = NULL, *cert = NULL, *tlskey = NULL;
	const char		*subject = "forged";
	char			 msg[256];
	uint8_t			 chan[AUTH_CHANNEL_LEN];
	uint64_t		 corr_first = 0, corr_last = 0;
	int			 ch, fd, do_ack = 0, psk = 0;

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.min_version = PROTO_MIN_VERSION;
	h.incarnation = 1;
	strlcpy(h.cluster, "test", sizeof(h.cluster));
	strlcpy(h.node_id, "probe", sizeof(h.node_id));
	strlcpy(h.address, "127.0.0.1", sizeof(h.address));
	while ((ch = getopt(argc, argv, "A:ab:C:c:i:K:k:m:Pp:R:r:S:v:")) !=
	    -1) {
		switch (ch) {
		case 'R':
			parse_corrs(optarg, &corr_first, &corr_last);
			break;
		case 'S':
			subject = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'K':
			tlskey = optarg;
			break;
		case 'a':
			do_ack = 1;
			break;
		case 'b':
			source = optarg;
			strlcpy(h.address, optarg, sizeof(h.address));
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'p':
			replayfile = optarg;
			break;
		case 'P':
			psk = 1;
			break;
		case 'r':
			if ((record = fopen(optarg, "w")) == NULL)
				err(1, "%s", optarg);
			break;
		case 'C':
			strlcpy(h.cluster, optarg, sizeof(h.cluster));
			break;
		case 'i':
			strlcpy(h.node_id, optarg, sizeof(h.node_id));
			break;
		case 'm':
			h.min_version = (uint16_t)atoi(optarg);
			break;
		case 'v':
			h.version = (uint16_t)atoi(optarg);
			break;
		default:
			errx(1, "usage: peerprobe [-a] [-v version] "
			    "[-m min_version] [-C cluster] [-i id] "
			    "[-A ca -c cert -K key | -P] [-R corr[-last] "
			    "[-S subject]] host port");
		}
	}
	if (argc - optind != 2)
		errx(1, "usage: peerprobe [options] host port");
	if (corr_first != 0 && (!do_ack || replayfile != NULL))
		errx(1, "-R needs -a, and no -p");
	if (keyfile != NULL && auth_load_key(keyfile, &key, msg,
	    sizeof(msg)) == -1)
		errx(1, "%s", msg);
	fd = dial(argv[optind], argv[optind + 1], source);
	if (psk && keyfile == NULL)
		errx(1, "-P needs the cluster key: -k keyfile");
	if (ca != NULL)
		tls_start(fd, ca, cert, tlskey);
	else if (psk)
		tls_start_psk(fd, &key);
	arc4random_buf(nonce, sizeof(nonce));
	memcpy(h.nonce, nonce, sizeof(nonce));
	if (replayfile != NULL)
		replay(fd, replayfile);
	else
		send_all(fd, buf, wire_encode_hello(buf, sizeof(buf), &h));
	while ((len = read_frame(fd, buf, sizeof(buf))) > 0) {
		(void)wire_check_header(buf, len, sizeof(buf), WIRE_PEER, &hdr);
		if (hdr.type == WT_REFUSE) {
			if (wire_decode_refuse(buf, len, &r) != WIRE_OK)
				errx(1, "malformed REFUSE");
			printf("REFUSE %s: %s\n", wire_reason_name(r.reason),
			    r.text);
			return (0);
		}
		if (hdr.type == WT_HELLO && do_ack && replayfile == NULL &&
		    wire_decode_hello(buf, len, &theirs) == WIRE_OK) {
			memset(&ack, 0, sizeof(ack));
			memcpy(ack.nonce, theirs.nonce, sizeof(ack.nonce));
			strlcpy(ack.node_id, h.node_id, sizeof(ack.node_id));
			if (keyfile != NULL) {
				t.cluster = h.cluster;
				t.from_id = h.node_id;
				t.to_id = theirs.node_id;
				t.from_nonce = nonce;
				t.to_nonce = theirs.nonce;
				t.from_inc = h.incarnation;
				t.to_inc = theirs.incarnation;
				/* We dialled: the initiator's proof. */
				t.from_initiator = 1;
				t.channel = NULL;
				t.channel_len = 0;
				if (ssl != NULL && SSL_export_keying_material(ssl,
				    chan, sizeof(chan), "EXPORTER-cohort-hello",
				    21, NULL, 0, 0) == 1) {
					t.channel = chan;
					t.channel_len = sizeof(chan);
				}
				if (auth_mac(&key, &t, ack.mac) == -1)
					errx(1, "cannot compute the proof");
			}
			send_all(fd, buf, wire_encode_hello_ack(buf,
			    sizeof(buf), &ack));
			if (record != NULL)
				fclose(record);
			record = NULL;
		}
		/*
		 * Its ACK says our HELLO passed; with -a, the stream is up
		 * only once it checked our ACK too, which its first ECHO
		 * shows (or a REFUSE denies).
		 */
		if ((hdr.type == WT_HELLO_ACK && !do_ack &&
		    replayfile == NULL) || hdr.type == WT_ECHO) {
			printf("ACK\n");
			if (corr_first != 0 && do_ack) {
				fflush(stdout);
				send_replies(fd, &h, corr_first, corr_last,
				    subject);
			}
			return (0);
		}
	}
	printf("CLOSED\n");
	return (0);
}
