#!/usr/bin/env python3
"""Produces JSON Schema records with Confluent's own Python client (`JSONSerializer`).

The value schema (draft 2020-12, registered by the serializer as schemaType JSON) has a
`$ref` into its `$defs`, a date-time, a nullable boolean, an enum and a map. Produces
`--count` orders (order i as the Rust test expects it, each validated by the serializer),
then two records no serializer would write, framed by hand with the same schema id: a
document whose `id` is a string, and bytes that are not JSON. With `--keyed`, each
order's key is a JSON Schema document `{id, region}` (subject `<topic>-key`) and the bad
records are left out: after the orders comes a tombstone for order 0's key. Prints one
JSON document.

Used by the Rust test `json_schema::` in crates/cli/tests/integration; runs in the
virtualenv that `scripts/services up` makes.
"""

import argparse
import json
import struct
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Order",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "customer": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "price": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "home": {"$ref": "#/$defs/Address"},
        "paid": {"type": ["boolean", "null"]},
        "kind": {"enum": ["web", "shop"]},
        "attrs": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
    "required": ["id", "customer", "at"],
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        }
    },
}


KEY_SCHEMA = {
    "title": "OrderKey",
    "type": "object",
    "properties": {"id": {"type": "integer"}, "region": {"type": "string"}},
}


def order(i):
    return {
        "id": i,
        "customer": f"c{i}",
        "at": f"2024-05-01T10:00:{i % 60:02d}.25+02:00",
        "price": 1.5 * i,
        "tags": ["a", f"t{i}"],
        "home": {"city": f"city{i % 3}", "zip": f"{10000 + i}"},
        "paid": None if i % 3 == 0 else i % 2 == 0,
        "kind": "web" if i % 2 == 0 else "shop",
        "attrs": {"n": i},
    }


def fail(message):
    print(f"json_schema_produce.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--keyed", action="store_true")
    args = parser.parse_args()

    client = SchemaRegistryClient({"url": args.registry})
    serializer = JSONSerializer(json.dumps(SCHEMA), client)
    ctx = SerializationContext(args.topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": args.bootstrap})
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    if args.keyed:
        keys = JSONSerializer(json.dumps(KEY_SCHEMA), client)
        key_ctx = SerializationContext(args.topic, MessageField.KEY)
        for i in range(args.count):
            key = keys({"id": i, "region": f"r{i % 2}"}, key_ctx)
            producer.produce(args.topic, key=key, value=serializer(order(i), ctx), on_delivery=delivered)
        key = keys({"id": 0, "region": "r0"}, key_ctx)
        producer.produce(args.topic, key=key, value=None, on_delivery=delivered)
        if producer.flush(30) != 0 or errors:
            fail(f"records not delivered: {errors}")
        print(json.dumps({"keyed": True}))
        return
    framed = None
    for i in range(args.count):
        framed = serializer(order(i), ctx)
        producer.produce(args.topic, key=str(i).encode(), value=framed, on_delivery=delivered)
    header = framed[:5]
    if header[0] != 0:
        fail(f"the serializer's frame does not start with the magic byte: {header!r}")
    (schema_id,) = struct.unpack(">I", header[1:5])
    bad = dict(order(args.count), id="not a number")
    producer.produce(args.topic, key=b"bad-id", value=header + json.dumps(bad).encode(), on_delivery=delivered)
    producer.produce(args.topic, key=b"not-json", value=header + b"{\"id\": 1,", on_delivery=delivered)
    if producer.flush(30) != 0 or errors:
        fail(f"records not delivered: {errors}")
    latest = client.get_latest_version(f"{args.topic}-value")
    print(json.dumps({"schema_id": schema_id, "schema_type": latest.schema.schema_type}))


if __name__ == "__main__":
    main()
