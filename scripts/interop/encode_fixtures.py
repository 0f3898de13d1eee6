#!/usr/bin/env python3
"""Encodes the interop records with fastavro and with Confluent's AvroSerializer.

The records use Python's own types for logical types (Decimal, datetime, date, time, UUID),
so the bytes are what Python producers send, encoded by code no one on the inlet team wrote.
The serializer registers the schema in the registry given. Prints one JSON document:
{"schema": ..., "subject": ..., "schema_id": N, "fastavro": [hex body], "confluent": [hex framed]}.

Used by `crates/avro/tests/interop.rs`; runs in the virtualenv of `scripts/services up`.
"""

import argparse
import datetime
import decimal
import io
import json
import uuid

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = {
    "type": "record",
    "name": "Interop",
    "namespace": "inlet.interop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "ratio", "type": "float"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "choice", "type": ["int", "string"]},
    ],
}


def record(i):
    utc = datetime.timezone.utc
    return {
        "id": i,
        "name": f"n{i} é",
        "price": decimal.Decimal(f"1234.5{i}"),
        "ratio": 0.1 * (i + 1),
        "day": datetime.date(2024, 2, 29),
        "at": datetime.datetime(2024, 2, 29, 12, 34, 56, 789012, tzinfo=utc),
        "at_ms": datetime.datetime(2024, 2, 29, 12, 34, 56, 123000, tzinfo=utc),
        "local": datetime.datetime(2024, 1, 1, 0, 0, 0, 1),
        "uid": uuid.UUID(f"12345678-1234-5678-1234-56781234567{i}"),
        "tm": datetime.time(1, 2, 3, 4000),
        "tags": ["a", "b"][: i + 1],
        "attrs": {"k": i},
        "kind": "B",
        "note": None if i == 0 else "x",
        "choice": i if i % 2 == 0 else "s",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--subject", required=True)
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args()

    parsed = fastavro.parse_schema(SCHEMA)
    bodies = []
    for i in range(args.count):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, record(i))
        bodies.append(buf.getvalue().hex())

    client = SchemaRegistryClient({"url": args.registry})
    serializer = AvroSerializer(client, json.dumps(SCHEMA), conf={"subject.name.strategy": lambda ctx, name: args.subject})
    context = SerializationContext("interop", MessageField.VALUE)
    framed = [serializer(record(i), context).hex() for i in range(args.count)]
    schema_id = client.get_latest_version(args.subject).schema_id
    print(json.dumps({"schema": json.dumps(SCHEMA), "subject": args.subject, "schema_id": schema_id,
                      "fastavro": bodies, "confluent": framed}))


if __name__ == "__main__":
    main()
