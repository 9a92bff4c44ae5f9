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

#endif
