/*
 * tls.c: server-side TLS through OpenSSL, non-blocking.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "gw.h"
#include "tls.h"

/*
 * Session tickets (TLS 1.2 and 1.3) are sealed with keys of our own, made
 * with the context: the configuration loads in the master before it forks,
 * so every worker (and every worker restarted later) opens every other's
 * tickets, and every certificate's context shares them.  A reload makes
 * new keys.  They are handed to OpenSSL as they are
 * (SSL_CTX_set_tlsext_ticket_keys: name, HMAC-SHA256 key, AES-256 key),
 * so tickets are sealed by its own code with the ciphers it fetched once;
 * a key callback that fetched AES and HMAC for every ticket cost 30 to 40 %
 * of the handshakes per second.
 */
#define TICKET_NAME_LEN	16

struct ticket_key {
	unsigned char	name[TICKET_NAME_LEN];
	unsigned char	hmac[32];		/* HMAC-SHA256 */
	unsigned char	aes[32];		/* AES-256-CBC */
};
_Static_assert(sizeof(struct ticket_key) == 80,
    "OpenSSL takes the ticket keys as 80 bytes");

/* One certificate: its own SSL_CTX, otherwise set up like the others. */
struct cert {
	SSL_CTX	 *ctx;
	char	 *file;
	char	**names;		/* lower case; "*.example.com" */
	size_t	  nnames;
};

struct gw_tls_ctx {
	struct cert		*certs;	/* [0] is the default */
	size_t			 ncerts;
	struct ticket_key	 ticket;
};

struct gw_tls {
	SSL	*ssl;
};

/* The OpenSSL error queue, as one message. */
static int
ssl_err(struct gw_err *err, const char *what)
{
	char		buf[256];
	unsigned long	e = ERR_get_error();

	if (e == 0)
		return gw_err_set(err, GW_E_PROTO, "%s", what);
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return gw_err_set(err, GW_E_PROTO, "%s: %s", what, buf);
}

/* The certificate whose names cover host (lower case), or NULL. */
static const struct cert *
cert_for(const struct gw_tls_ctx *c, const char *host)
{
	const char *dot = strchr(host, '.');

	/* an exact name first, wherever it is; then "*." one label up */
	for (size_t i = 0; i < c->ncerts; i++)
		for (size_t j = 0; j < c->certs[i].nnames; j++)
			if (strcmp(c->certs[i].names[j], host) == 0)
				return &c->certs[i];
	if (dot == NULL || dot == host || dot[1] == '\0')
		return NULL;
	for (size_t i = 0; i < c->ncerts; i++)
		for (size_t j = 0; j < c->certs[i].nnames; j++) {
			const char *n = c->certs[i].names[j];

			if (n[0] == '*' && n[1] == '.' &&
			    strcmp(n + 1, dot) == 0)
				return &c->certs[i];
		}
	return NULL;
}

/*
 * SSL_CTX_set_client_hello_cb(3): pick the certificate by SNI before
 * OpenSSL looks at the rest of the hello (sessions included), so that a
 * resumed session stays with the certificate it was made under.  No
 * name, or one no certificate has: the default.
 */
static int
hello_cb(SSL *s, int *alert, void *arg)
{
	const struct gw_tls_ctx	*c = arg;
	const struct cert	*ce;
	const unsigned char	*p;
	size_t			 len, nlen;
	char			 host[256];

	if (c->ncerts < 2 || !SSL_client_hello_get0_ext(s,
	    TLSEXT_TYPE_server_name, &p, &len))
		return SSL_CLIENT_HELLO_SUCCESS;
	/* RFC 6066 3: list length, then type 0 (host_name), length, name */
	if (len < 5 || (size_t)(p[0] << 8 | p[1]) != len - 2 ||
	    p[2] != TLSEXT_NAMETYPE_host_name ||
	    (nlen = (size_t)(p[3] << 8 | p[4])) > len - 5 || nlen == 0) {
		*alert = SSL_AD_DECODE_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (nlen >= sizeof(host))
		return SSL_CLIENT_HELLO_SUCCESS;	/* no such name */
	for (size_t i = 0; i < nlen; i++)
		host[i] = (char)tolower(p[5 + i]);
	host[nlen] = '\0';
	if (nlen > 1 && host[nlen - 1] == '.')
		host[nlen - 1] = '\0';
	if ((ce = cert_for(c, host)) != NULL && ce != &c->certs[0] &&
	    SSL_set_SSL_CTX(s, ce->ctx) == NULL) {
		*alert = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Add one name of a certificate, lower case; -1 when out of memory. */
static int
add_name(struct cert *ce, const char *p, size_t len)
{
	char **n;

	if (len == 0 || memchr(p, '\0', len) != NULL)
		return 0;
	for (size_t i = 0; i < ce->nnames; i++)
		if (strlen(ce->names[i]) == len &&
		    strncasecmp(ce->names[i], p, len) == 0)
			return 0;
	if ((n = reallocarray(ce->names, ce->nnames + 1,
	    sizeof(*n))) == NULL)
		return -1;
	ce->names = n;
	if ((n[ce->nnames] = strndup(p, len)) == NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		n[ce->nnames][i] = (char)tolower((unsigned char)p[i]);
	ce->nnames++;
	return 0;
}

/* The names a certificate is for: its DNS SANs, or its CN without any. */
static int
cert_names(struct cert *ce, X509 *x, struct gw_err *err)
{
	STACK_OF(GENERAL_NAME)	*sans;
	char			 cn[256];
	int			 rc = 0, n;

	if ((sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) != NULL) {
		for (int i = 0; i < sk_GENERAL_NAME_num(sans) && rc == 0;
		    i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

			if (g->type == GEN_DNS)
				rc = add_name(ce, (const char *)
				    ASN1_STRING_get0_data(g->d.dNSName),
				    (size_t)ASN1_STRING_length(g->d.dNSName));
		}
		GENERAL_NAMES_free(sans);
	}
	if (rc == 0 && ce->nnames == 0 && (n = X509_NAME_get_text_by_NID(
	    X509_get_subject_name(x), NID_commonName, cn, sizeof(cn))) > 0)
		rc = add_name(ce, cn, (size_t)n);
	if (rc == -1)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	return 0;
}

/* A certificate chain and its key into ctx; -1 with err naming the file. */
static int
load_pair(SSL_CTX *ctx, const char *cert, const char *key, struct gw_err *err)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_err(err, "cannot load the certificate");
		return gw_err_prefix(err, "'%s'", cert);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) !=
	    X509_R_KEY_VALUES_MISMATCH) {
		ssl_err(err, "cannot load the key");
		return gw_err_prefix(err, "'%s'", key);
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		return gw_err_set(err, GW_E_CONFIG, "'%s' and '%s': the key "
		    "does not match the certificate", key, cert);
	}
	return 0;
}

int
gw_tls_check_pair(const char *cert, const char *key, struct gw_err *err)
{
	SSL_CTX	*ctx;
	int	 rc;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return ssl_err(err, "cannot make a TLS context");
	rc = load_pair(ctx, cert, key, err);
	SSL_CTX_free(ctx);
	return rc;
}

/* A context for one certificate, with the listener's settings. */
static int
cert_load(struct gw_tls_ctx *c, struct cert *ce, const struct gw_tls_opts *o,
    struct gw_err *err)
{
	unsigned char	 sid[EVP_MAX_MD_SIZE];
	unsigned int	 sidlen = 0;
	X509		*x;
	int		 minv = TLS1_2_VERSION;

	if (o->min_version != NULL && strcmp(o->min_version, "1.3") == 0)
		minv = TLS1_3_VERSION;
	else if (o->min_version != NULL && strcmp(o->min_version, "1.2") != 0)
		return gw_err_set(err, GW_E_CONFIG,
		    "min_version must be 1.2 or 1.3");
	if ((ce->file = strdup(o->cert)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if ((ce->ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return ssl_err(err, "cannot make a TLS context");
	(void)SSL_CTX_set_app_data(ce->ctx, c);
	(void)SSL_CTX_set_min_proto_version(ce->ctx, minv);
	SSL_CTX_set_options(ce->ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ce->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_tlsext_ticket_keys(ce->ctx, &c->ticket,
	    sizeof(c->ticket)) != 1)
		return ssl_err(err, "cannot set the session ticket keys");
	if (load_pair(ce->ctx, o->cert, o->key, err) == -1)
		return -1;
	/*
	 * Sessions resume under the certificate they were made with, and
	 * only there: the session id context is the certificate's hash.
	 */
	x = SSL_CTX_get0_certificate(ce->ctx);
	if (X509_digest(x, EVP_sha256(), sid, &sidlen) != 1 ||
	    SSL_CTX_set_session_id_context(ce->ctx, sid,
	    sidlen > SSL_MAX_SID_CTX_LENGTH ? SSL_MAX_SID_CTX_LENGTH :
	    sidlen) != 1)
		return ssl_err(err, "cannot set the session id context");
	if (cert_names(ce, x, err) == -1)
		return -1;
	if (o->client_auth != GW_TLS_CLIENT_NONE) {
		STACK_OF(X509_NAME) *names;

		if (o->client_ca == NULL)
			return gw_err_set(err, GW_E_CONFIG, "client "
			    "certificates need client_ca");
		if (SSL_CTX_load_verify_locations(ce->ctx, o->client_ca,
		    NULL) != 1) {
			ssl_err(err, "cannot load the client CA");
			return gw_err_prefix(err, "'%s'", o->client_ca);
		}
		if ((names = SSL_load_client_CA_file(o->client_ca)) != NULL)
			SSL_CTX_set_client_CA_list(ce->ctx, names);
		SSL_CTX_set_verify(ce->ctx, SSL_VERIFY_PEER |
		    (o->client_auth == GW_TLS_CLIENT_REQUIRED ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
		SSL_CTX_set_verify_depth(ce->ctx, 8);
	}
	return 0;
}

static void
cert_release(struct cert *ce)
{
	SSL_CTX_free(ce->ctx);
	free(ce->file);
	for (size_t i = 0; i < ce->nnames; i++)
		free(ce->names[i]);
	free(ce->names);
}

struct gw_tls_ctx *
gw_tls_ctx_new(const struct gw_tls_opts *o, struct gw_err *err)
{
	struct gw_tls_ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if (RAND_priv_bytes(c->ticket.name, sizeof(c->ticket.name)) != 1 ||
	    RAND_priv_bytes(c->ticket.aes, sizeof(c->ticket.aes)) != 1 ||
	    RAND_priv_bytes(c->ticket.hmac, sizeof(c->ticket.hmac)) != 1) {
		ssl_err(err, "cannot make session ticket keys");
		goto fail;
	}
	if (gw_tls_ctx_add_cert(c, o, err) == -1)
		goto fail;
	SSL_CTX_set_client_hello_cb(c->certs[0].ctx, hello_cb, c);
	return c;
 fail:
	gw_tls_ctx_free(c);
	return NULL;
}

int
gw_tls_ctx_add_cert(struct gw_tls_ctx *c, const struct gw_tls_opts *o,
    struct gw_err *err)
{
	struct cert	*ce, *n;

	if (c->ncerts == GW_TLS_MAX_CERTS)
		return gw_err_set(err, GW_E_CONFIG, "more than %d "
		    "certificates", GW_TLS_MAX_CERTS);
	if ((n = reallocarray(c->certs, c->ncerts + 1, sizeof(*n))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	c->certs = n;
	ce = &c->certs[c->ncerts];
	memset(ce, 0, sizeof(*ce));
	if (cert_load(c, ce, o, err) == -1)
		goto fail;
	for (size_t i = 0; i < ce->nnames; i++)
		for (size_t j = 0; j < c->ncerts; j++)
			for (size_t k = 0; k < c->certs[j].nnames; k++)
				if (strcmp(ce->names[i],
				    c->certs[j].names[k]) == 0) {
					gw_err_set(err, GW_E_CONFIG, "'%s': "
					    "the name '%s' is also in '%s'",
					    o->cert, ce->names[i],
					    c->certs[j].file);
					goto fail;
				}
	c->ncerts++;
	return 0;
 fail:
	cert_release(ce);
	return -1;
}

void
gw_tls_ctx_free(struct gw_tls_ctx *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncerts; i++)
		cert_release(&c->certs[i]);
	free(c->certs);
	OPENSSL_cleanse(&c->ticket, sizeof(c->ticket));
	free(c);
}

struct gw_tls *
gw_tls_new(struct gw_tls_ctx *c, int fd, struct gw_err *err)
{
	struct gw_tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((t->ssl = SSL_new(c->certs[0].ctx)) == NULL ||
	    SSL_set_fd(t->ssl, fd) != 1) {
		ssl_err(err, "cannot start TLS");
		gw_tls_free(t);
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

void
gw_tls_free(struct gw_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

/* What an SSL_* call's -1 means for the caller. */
static int
result(struct gw_tls *t, int rc, const char *what, struct gw_err *err)
{
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return GW_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return GW_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return GW_TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0 || errno == EPIPE ||
			    errno == ECONNRESET)
				return GW_TLS_CLOSED;
			return gw_err_sys(err, "%s", what);
		}
		return ssl_err(err, what);
	default:
		return ssl_err(err, what);
	}
}

int
gw_tls_handshake(struct gw_tls *t, struct gw_err *err)
{
	int rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_do_handshake(t->ssl)) == 1)
		return 1;
	rc = result(t, rc, "TLS handshake", err);
	return rc == GW_TLS_CLOSED ? gw_err_set(err, GW_E_PROTO,
	    "TLS handshake: the client closed") : rc;
}

ssize_t
gw_tls_read(struct gw_tls *t, void *buf, size_t len, struct gw_err *err)
{
	int n;

	ERR_clear_error();
	errno = 0;
	if (len > INT32_MAX)
		len = INT32_MAX;
	if ((n = SSL_read(t->ssl, buf, (int)len)) > 0)
		return n;
	return result(t, n, "TLS read", err);
}

ssize_t
gw_tls_write(struct gw_tls *t, const void *buf, size_t len, struct gw_err *err)
{
	int n;

	ERR_clear_error();
	errno = 0;
	if (len > INT32_MAX)
		len = INT32_MAX;
	if ((n = SSL_write(t->ssl, buf, (int)len)) > 0)
		return n;
	n = result(t, n, "TLS write", err);
	return n == GW_TLS_CLOSED ? gw_err_set(err, GW_E_SYS,
	    "TLS write: the client closed") : n;
}

int
gw_tls_pending(const struct gw_tls *t)
{
	return SSL_pending(t->ssl) > 0;
}

void
gw_tls_shutdown(struct gw_tls *t)
{
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

int
gw_tls_peer(const struct gw_tls *t, char *subject, size_t subjsize,
    char *san, size_t sansize, char *cn, size_t cnsize)
{
	X509			*x;
	STACK_OF(GENERAL_NAME)	*names;
	BIO			*bio;
	int			 n;

	subject[0] = san[0] = cn[0] = '\0';
	if ((x = SSL_get_peer_certificate(t->ssl)) == NULL)
		return 0;
	if (SSL_get_verify_result(t->ssl) != X509_V_OK) {
		X509_free(x);
		return 0;
	}
	if ((bio = BIO_new(BIO_s_mem())) != NULL) {
		(void)X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
		    XN_FLAG_RFC2253);
		n = BIO_read(bio, subject, (int)subjsize - 1);
		subject[n > 0 ? n : 0] = '\0';
		BIO_free(bio);
	}
	(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, (int)cnsize);
	if ((names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) != NULL) {
		for (int i = 0; i < sk_GENERAL_NAME_num(names) &&
		    san[0] == '\0'; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
			const ASN1_IA5STRING *s = NULL;

			if (g->type == GEN_DNS)
				s = g->d.dNSName;
			else if (g->type == GEN_EMAIL)
				s = g->d.rfc822Name;
			if (s != NULL)
				(void)snprintf(san, sansize, "%.*s",
				    ASN1_STRING_length(s),
				    (const char *)ASN1_STRING_get0_data(s));
		}
		GENERAL_NAMES_free(names);
	}
	X509_free(x);
	return 1;
}

const char *
gw_tls_version(const struct gw_tls *t)
{
	return SSL_get_version(t->ssl);
}
