#!/usr/bin/env python3
"""Produces Protobuf records with Confluent's own Python client and Google's protobuf runtime.

The schema is two files, described here as FileDescriptorProtos (this machine has no protoc):
`inlet/interop/address.proto` (message Address) and `inlet/interop/order.proto`, which imports
it and Google's well-known types and defines Note (message index [0]) and Order ([1], with a
nested Line, an enum, a map, a oneof, a proto3 `optional`, a uint64, Timestamp, Struct and a
wrapper). Confluent's `ProtobufSerializer` registers both files (the import as a schema
reference, the well-known types skipped) and frames each Order with its message indexes.

Produces `--count` orders (order i as the Rust test expects it), then one whose uint64 is
above bigint's range, then one whose message bytes are cut short. With `--keyed`, each
order's key is a Protobuf `OrderKey {id, region}` (`inlet/interop/key.proto`, subject
`<topic>-key`) and the bad records are left out: after the orders comes a tombstone for
order 0's key. Prints one JSON document.

Used by the Rust test `protobuf::` in crates/cli/tests/integration; runs in the virtualenv
that `scripts/services up` makes.
"""

import argparse
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401 (into the pool)

F = descriptor_pb2.FieldDescriptorProto


def field(name, number, kind, type_name=None, label=F.LABEL_OPTIONAL, oneof=None, optional=False):
    f = F(name=name, number=number, type=kind, label=label, json_name=name)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    if optional:
        f.proto3_optional = True
    return f


def files():
    address = descriptor_pb2.FileDescriptorProto(
        name="inlet/interop/address.proto", package="inlet.interop", syntax="proto3"
    )
    address.message_type.add(name="Address").field.extend(
        [field("street", 1, F.TYPE_STRING), field("city", 2, F.TYPE_STRING)]
    )

    order = descriptor_pb2.FileDescriptorProto(
        name="inlet/interop/order.proto",
        package="inlet.interop",
        syntax="proto3",
        dependency=[
            "inlet/interop/address.proto",
            "google/protobuf/timestamp.proto",
            "google/protobuf/struct.proto",
            "google/protobuf/wrappers.proto",
        ],
    )
    status = order.enum_type.add(name="Status")
    status.value.add(name="PENDING", number=0)
    status.value.add(name="SHIPPED", number=1)
    order.message_type.add(name="Note").field.append(field("text", 1, F.TYPE_STRING))
    o = order.message_type.add(name="Order")
    line = o.nested_type.add(name="Line")
    line.field.extend([field("sku", 1, F.TYPE_STRING), field("qty", 2, F.TYPE_INT32)])
    entry = o.nested_type.add(name="CountsEntry")
    entry.options.map_entry = True
    entry.field.extend([field("key", 1, F.TYPE_STRING), field("value", 2, F.TYPE_INT32)])
    o.oneof_decl.add(name="payment")
    o.oneof_decl.add(name="_discount")
    msg = F.TYPE_MESSAGE
    o.field.extend(
        [
            field("id", 1, F.TYPE_INT64),
            field("customer", 2, F.TYPE_STRING),
            field("ship_to", 3, msg, ".inlet.interop.Address"),
            field("tags", 4, F.TYPE_STRING, label=F.LABEL_REPEATED),
            field("placed_at", 5, msg, ".google.protobuf.Timestamp"),
            field("discount", 6, F.TYPE_DOUBLE, oneof=1, optional=True),
            field("status", 7, F.TYPE_ENUM, ".inlet.interop.Status"),
            field("counts", 8, msg, ".inlet.interop.Order.CountsEntry", label=F.LABEL_REPEATED),
            field("card", 9, F.TYPE_STRING, oneof=0),
            field("iban", 10, F.TYPE_STRING, oneof=0),
            field("big", 11, F.TYPE_UINT64),
            field("extra", 12, msg, ".google.protobuf.Struct"),
            field("maybe", 13, msg, ".google.protobuf.Int64Value"),
            field("blob", 14, F.TYPE_BYTES),
            field("lines", 15, msg, ".inlet.interop.Order.Line", label=F.LABEL_REPEATED),
            field("note", 16, msg, ".inlet.interop.Note"),
        ]
    )
    key = descriptor_pb2.FileDescriptorProto(
        name="inlet/interop/key.proto", package="inlet.interop", syntax="proto3"
    )
    key.message_type.add(name="OrderKey").field.extend(
        [field("id", 1, F.TYPE_INT64), field("region", 2, F.TYPE_STRING)]
    )
    return address, order, key


def order_message(Order, i, big=None):
    o = Order()
    o.id = i
    o.customer = f"c{i}"
    o.ship_to.street = f"{i} Main St"
    o.ship_to.city = f"city{i % 3}"
    o.tags.extend(["a", f"t{i}"])
    o.placed_at.seconds = 1714557600 + i
    o.placed_at.nanos = 123456789
    if i % 2 == 0:
        o.discount = 0.5 * i
        o.card = f"card{i}"
    else:
        o.status = 1
        o.iban = f"iban{i}"
    o.counts["x"] = i
    o.big = (2**63 - 1 - i) if big is None else big
    o.extra.update({"n": i, "k": ["v", True]})
    if i % 3 == 0:
        o.maybe.value = -i
    o.blob = bytes([i % 256, 255])
    o.lines.add(sku=f"s{i}", qty=i)
    o.note.text = f"note {i}"
    return o


def fail(message):
    print(f"protobuf_produce.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--keyed", action="store_true")
    args = parser.parse_args()

    pool = descriptor_pool.Default()
    for f in files():
        pool.Add(f)
    Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("inlet.interop.Order"))

    client = SchemaRegistryClient({"url": args.registry})
    serializer = ProtobufSerializer(Order, client, {"use.deprecated.format": False})
    ctx = SerializationContext(args.topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": args.bootstrap})
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    if args.keyed:
        OrderKey = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("inlet.interop.OrderKey")
        )
        keys = ProtobufSerializer(OrderKey, client, {"use.deprecated.format": False})
        key_ctx = SerializationContext(args.topic, MessageField.KEY)
        for i in range(args.count):
            key = keys(OrderKey(id=i, region=f"r{i % 2}"), key_ctx)
            producer.produce(
                args.topic, key=key, value=serializer(order_message(Order, i), ctx),
                on_delivery=delivered,
            )
        producer.produce(
            args.topic, key=keys(OrderKey(id=0, region="r0"), key_ctx), value=None,
            on_delivery=delivered,
        )
        if producer.flush(30) != 0 or errors:
            fail(f"records not delivered: {errors}")
        latest = client.get_latest_version(f"{args.topic}-key")
        print(json.dumps({"key_schema_id": latest.schema_id}))
        return
    framed = None
    for i in range(args.count):
        framed = serializer(order_message(Order, i), ctx)
        producer.produce(args.topic, key=str(i).encode(), value=framed, on_delivery=delivered)
    too_big = serializer(order_message(Order, args.count, big=2**64 - 1), ctx)
    producer.produce(args.topic, key=b"too-big", value=too_big, on_delivery=delivered)
    producer.produce(args.topic, key=b"cut", value=framed[:-3], on_delivery=delivered)
    if producer.flush(30) != 0 or errors:
        fail(f"records not delivered: {errors}")
    latest = client.get_latest_version(f"{args.topic}-value")
    print(
        json.dumps(
            {
                "schema_id": latest.schema_id,
                "references": [r.name for r in latest.schema.references],
                "indexes_byte": list(framed[5:7]),
            }
        )
    )


if __name__ == "__main__":
    main()
