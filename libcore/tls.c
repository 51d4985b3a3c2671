/*
 * tls.c: server-side TLS through OpenSSL, non-blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "gw.h"
#include "tls.h"

struct gw_tls_ctx {
	SSL_CTX	*ctx;
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

struct gw_tls_ctx *
gw_tls_ctx_new(const struct gw_tls_opts *o, struct gw_err *err)
{
	struct gw_tls_ctx	*c;
	int			 minv = TLS1_2_VERSION;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if (o->min_version != NULL && strcmp(o->min_version, "1.3") == 0)
		minv = TLS1_3_VERSION;
	else if (o->min_version != NULL && strcmp(o->min_version, "1.2") != 0) {
		gw_err_set(err, GW_E_CONFIG, "min_version must be 1.2 or 1.3");
		goto fail;
	}
	if ((c->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_err(err, "cannot make a TLS context");
		goto fail;
	}
	(void)SSL_CTX_set_min_proto_version(c->ctx, minv);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, o->cert) != 1) {
		ssl_err(err, "cannot load the certificate");
		gw_err_prefix(err, "'%s'", o->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, o->key, SSL_FILETYPE_PEM) !=
	    1) {
		ssl_err(err, "cannot load the key");
		gw_err_prefix(err, "'%s'", o->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c->ctx) != 1) {
		ssl_err(err, "the key does not match the certificate");
		goto fail;
	}
	if (o->client_auth != GW_TLS_CLIENT_NONE) {
		STACK_OF(X509_NAME) *names;

		if (o->client_ca == NULL) {
			gw_err_set(err, GW_E_CONFIG, "client certificates "
			    "need client_ca");
			goto fail;
		}
		if (SSL_CTX_load_verify_locations(c->ctx, o->client_ca,
		    NULL) != 1) {
			ssl_err(err, "cannot load the client CA");
			gw_err_prefix(err, "'%s'", o->client_ca);
			goto fail;
		}
		if ((names = SSL_load_client_CA_file(o->client_ca)) != NULL)
			SSL_CTX_set_client_CA_list(c->ctx, names);
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER |
		    (o->client_auth == GW_TLS_CLIENT_REQUIRED ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
		SSL_CTX_set_verify_depth(c->ctx, 8);
	}
	return c;
 fail:
	gw_tls_ctx_free(c);
	return NULL;
}

void
gw_tls_ctx_free(struct gw_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
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
	if ((t->ssl = SSL_new(c->ctx)) == NULL ||
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
