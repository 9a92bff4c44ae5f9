#ifndef C_RABBITMQ_H
#define C_RABBITMQ_H

// The rabbitmq-c 0.11 binding (Debian's librabbitmq-dev). Only what Swift cannot import
// directly is shimmed here; everything else is used as it is.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

/// `amqp_login_with_properties` with SASL PLAIN: the original is variadic, which Swift cannot call.
amqp_rpc_reply_t CRabbitMQ_login_plain(amqp_connection_state_t state, const char *vhost,
                                       int channel_max, int frame_max, int heartbeat,
                                       const amqp_table_t *properties, const char *user,
                                       const char *password);

/// Makes a TLS socket trust the system's certificate authorities, as OpenSSL finds them:
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the default file and directory. rabbitmq-c 0.11
/// loads no CA unless one is named, so without this a `null` CA file trusts nothing.
/// Returns 0 on success, -1 when the paths could not be loaded.
int CRabbitMQ_ssl_use_default_verify_paths(amqp_socket_t *socket);

/// Records, on this thread, why OpenSSL rejects a peer certificate (expired, unknown CA, wrong
/// host), so a failed handshake can say which. Call before connecting with this socket.
void CRabbitMQ_ssl_record_verify_errors(amqp_socket_t *socket);

/// The reason OpenSSL gave for the last rejected certificate on this thread, or NULL; clears it.
const char *CRabbitMQ_ssl_take_verify_error(void);

#endif
