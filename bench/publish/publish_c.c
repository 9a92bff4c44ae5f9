/* The raw rabbitmq-c peer of `edge-video-bench publish`: same window, same message, same JSON.
 *
 * Publishes COUNT persistent messages of SIZE bytes with confirms, at most WINDOW unconfirmed,
 * and prints one JSON line. Build: cc -O2 -o publish_c publish_c.c -lrabbitmq
 * Usage: publish_c HOST PORT EXCHANGE ROUTING_KEY COUNT SIZE WINDOW
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die_reply(amqp_rpc_reply_t r, const char *what) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        fprintf(stderr, "publish_c: %s failed (%d)\n", what, r.reply_type);
        exit(1);
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: publish_c HOST PORT EXCHANGE ROUTING_KEY COUNT SIZE WINDOW\n");
        return 64;
    }
    const char *host = argv[1], *exchange = argv[3], *key = argv[4];
    int port = atoi(argv[2]);
    long count = atol(argv[5]), size = atol(argv[6]), window = atol(argv[7]);

    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *sock = amqp_tcp_socket_new(conn);
    if (amqp_socket_open(sock, host, port) != AMQP_STATUS_OK) {
        fprintf(stderr, "publish_c: cannot connect\n");
        return 1;
    }
    die_reply(amqp_login(conn, "/", 0, 131072, 10, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "channel.open");
    amqp_confirm_select(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "confirm.select");
    amqp_exchange_declare(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("topic"), 0, 1, 0, 0,
                          amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "exchange.declare");

    char *body = malloc(size > 0 ? size : 1);
    memset(body, 0x5A, size);
    double *sent_at = calloc(count + 1, sizeof(double));
    double *latency = calloc(count + 1, sizeof(double));
    long published = 0, confirmed = 0, nacked = 0, settled = 0, latencies = 0;
    char id[32];
    double start = now_s();
    while (settled < count) {
        while (published < count && published - settled < window) {
            amqp_basic_properties_t props;
            memset(&props, 0, sizeof props);
            props._flags = AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
            snprintf(id, sizeof id, "bench-%ld", published);
            props.message_id = amqp_cstring_bytes(id);
            props.delivery_mode = 2;
            props.content_type = amqp_cstring_bytes("application/octet-stream");
            sent_at[++published] = now_s();
            amqp_bytes_t b = {(size_t)size, body};
            if (amqp_basic_publish(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes(key), 0, 0, &props, b)
                != AMQP_STATUS_OK) {
                fprintf(stderr, "publish_c: publish failed\n");
                return 1;
            }
        }
        amqp_frame_t frame;
        if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) {
            fprintf(stderr, "publish_c: connection lost\n");
            return 1;
        }
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        uint64_t tag = 0;
        int multiple = 0, ack = 1;
        if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = frame.payload.method.decoded;
            tag = a->delivery_tag;
            multiple = a->multiple;
        } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            amqp_basic_nack_t *n = frame.payload.method.decoded;
            tag = n->delivery_tag;
            multiple = n->multiple;
            ack = 0;
        } else {
            continue;
        }
        double t = now_s();
        long first = multiple ? settled + 1 : (long)tag;
        for (long i = first; i <= (long)tag; i++) {
            if (sent_at[i] == 0) continue;
            latency[latencies++] = t - sent_at[i];
            sent_at[i] = 0;
            settled++;
            if (ack) confirmed++; else nacked++;
        }
        amqp_maybe_release_buffers(conn);
    }
    double seconds = now_s() - start;
    qsort(latency, latencies, sizeof(double), cmp);
    double rate = confirmed / seconds;
    printf("{\"bench\":\"publish\",\"impl\":\"c\",\"count\":%ld,\"size\":%ld,\"window\":%ld,\"seconds\":%.3f,"
           "\"msg_per_s\":%.3f,\"mb_per_s\":%.3f,\"confirm_p50_ms\":%.3f,\"confirm_p99_ms\":%.3f,"
           "\"confirmed\":%ld,\"nacked\":%ld}\n",
           count, size, window, seconds, rate, rate * size / 1e6, latency[latencies / 2] * 1000,
           latency[(long)(latencies * 0.99)] * 1000, confirmed, nacked);
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
    return 0;
}
