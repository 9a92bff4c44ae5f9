/* The live consumer of bench/fleet/run.py: capture -> delivery latency without a Python
 * interpreter in the measured path.
 *
 * Binds an exclusive queue to EXCHANGE (routing key camera.#), consumes with auto-ack and, for
 * each message, takes the wall clock right after rabbitmq-c returns it. Prints one line per
 * message: the receipt time, then every 64-bit integer header as NAME=VALUE (captured_at_us and,
 * in a tracing build, the per-stage stamps), all in microseconds since the Unix epoch. Prints
 * "READY" once the queue is bound. Runs until its stdin closes or the connection fails.
 * Build: cc -O2 -o consume_c consume_c.c -lrabbitmq
 * Usage: consume_c HOST PORT EXCHANGE
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static long long wall_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void die_reply(amqp_rpc_reply_t r, const char *what) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        fprintf(stderr, "consume_c: %s failed (%d)\n", what, r.reply_type);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: consume_c HOST PORT EXCHANGE\n");
        return 64;
    }
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *sock = amqp_tcp_socket_new(conn);
    if (amqp_socket_open(sock, argv[1], atoi(argv[2])) != AMQP_STATUS_OK) {
        fprintf(stderr, "consume_c: cannot connect\n");
        return 1;
    }
    die_reply(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "channel.open");
    amqp_bytes_t exchange = amqp_cstring_bytes(argv[3]);
    amqp_exchange_declare(conn, 1, exchange, amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "exchange.declare");
    amqp_queue_declare_ok_t *declared = amqp_queue_declare(conn, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "queue.declare");
    amqp_bytes_t queue = amqp_bytes_malloc_dup(declared->queue);
    amqp_queue_bind(conn, 1, queue, exchange, amqp_cstring_bytes("camera.#"), amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "queue.bind");
    amqp_basic_consume(conn, 1, queue, amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "basic.consume");
    printf("READY\n");
    fflush(stdout);

    struct pollfd in = {.fd = 0, .events = POLLIN};
    for (;;) {
        amqp_envelope_t envelope;
        struct timeval limit = {.tv_sec = 0, .tv_usec = 200000};
        amqp_maybe_release_buffers(conn);
        amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, &limit, 0);
        long long now = wall_us();
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
            printf("%lld", now);
            amqp_basic_properties_t *p = &envelope.message.properties;
            if (p->_flags & AMQP_BASIC_HEADERS_FLAG) {
                for (int i = 0; i < p->headers.num_entries; i++) {
                    amqp_table_entry_t *e = &p->headers.entries[i];
                    if (e->value.kind == AMQP_FIELD_KIND_I64) {
                        printf(" %.*s=%lld", (int)e->key.len, (char *)e->key.bytes, (long long)e->value.value.i64);
                    }
                }
            }
            printf("\n");
            amqp_destroy_envelope(&envelope);
        } else if (!(r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)) {
            fprintf(stderr, "consume_c: connection ended (%d)\n", r.reply_type);
            return 1;
        }
        if (poll(&in, 1, 0) > 0) {
            char buffer[64];
            if (fread(buffer, 1, sizeof buffer, stdin) == 0) break;
        }
    }
    fflush(stdout);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
    return 0;
}
