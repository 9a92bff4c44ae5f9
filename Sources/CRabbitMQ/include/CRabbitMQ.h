#ifndef C_RABBITMQ_H
#define C_RABBITMQ_H

// The rabbitmq-c 0.11 binding (Debian's librabbitmq-dev). Only what Swift cannot import
// directly is shimmed here; everything else is used as it is.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

#endif
