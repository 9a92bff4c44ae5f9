#!/usr/bin/env python3
"""Declares the bench exchange (durable topic) and a durable queue bound to it, then purges it;
with --delete, deletes both.

Usage: setup_queue.py URL EXCHANGE QUEUE ROUTING_KEY [--delete]
"""
import sys

import pika

url, exchange, queue, key = sys.argv[1:5]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
if "--delete" in sys.argv:
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
else:
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key=key)
    channel.queue_purge(queue)
connection.close()
