#include "CRabbitMQ.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

amqp_rpc_reply_t CRabbitMQ_login_plain(amqp_connection_state_t state, const char *vhost,
                                       int channel_max, int frame_max, int heartbeat,
                                       const amqp_table_t *properties, const char *user,
                                       const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

int CRabbitMQ_ssl_use_default_verify_paths(amqp_socket_t *socket) {
    SSL_CTX *context = amqp_ssl_socket_get_context(socket);
    if (context == NULL) return -1;
    return SSL_CTX_set_default_verify_paths(context) == 1 ? 0 : -1;
}

static _Thread_local int CRabbitMQ_last_verify_error = X509_V_OK;

static int CRabbitMQ_verify_callback(int ok, X509_STORE_CTX *store) {
    if (!ok) CRabbitMQ_last_verify_error = X509_STORE_CTX_get_error(store);
    return ok;
}

void CRabbitMQ_ssl_record_verify_errors(amqp_socket_t *socket) {
    CRabbitMQ_last_verify_error = X509_V_OK;
    SSL_CTX *context = amqp_ssl_socket_get_context(socket);
    if (context == NULL) return;
    X509_STORE_set_verify_cb(SSL_CTX_get_cert_store(context), CRabbitMQ_verify_callback);
}

const char *CRabbitMQ_ssl_take_verify_error(void) {
    int error = CRabbitMQ_last_verify_error;
    CRabbitMQ_last_verify_error = X509_V_OK;
    return error == X509_V_OK ? NULL : X509_verify_cert_error_string(error);
}
