#!/usr/bin/env python3
"""Registers schemas and produces Avro records with Confluent's own Python client.

Proves the development registry against `confluent_kafka.schema_registry.SchemaRegistryClient`
and produces records framed by Confluent's `AvroSerializer`, which no one on the inlet team
encoded. Prints one JSON document on stdout: the ids it got and the records it produced.

Used by the Rust test `crates/testkit/tests/confluent_interop.rs`; runs in the virtualenv
that `scripts/services up` makes.
"""

import argparse
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

ADDRESS = {
    "type": "record",
    "name": "Address",
    "namespace": "inlet.interop",
    "fields": [
        {"name": "street", "type": "string"},
        {"name": "city", "type": "string"},
    ],
}

CUSTOMER = {
    "type": "record",
    "name": "Customer",
    "namespace": "inlet.interop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "home", "type": "inlet.interop.Address"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "score", "type": ["null", "double"], "default": None},
    ],
}


def fail(message):
    print(f"confluent_produce.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()

    client = SchemaRegistryClient({"url": args.registry})
    address_subject = f"{args.topic}-address"
    address_id = client.register_schema(address_subject, Schema(json.dumps(ADDRESS), "AVRO"))
    address_version = client.get_latest_version(address_subject)
    if address_version.schema_id != address_id:
        fail(f"latest version of {address_subject} has id {address_version.schema_id}, registered {address_id}")

    reference = SchemaReference("inlet.interop.Address", address_subject, address_version.version)
    customer = Schema(json.dumps(CUSTOMER), "AVRO", [reference])
    value_subject = f"{args.topic}-value"
    customer_id = client.register_schema(value_subject, customer)

    # Look-ups as a consumer and as a serializer do them.
    found = client.lookup_schema(value_subject, customer)
    if found.schema_id != customer_id:
        fail(f"lookup_schema gave id {found.schema_id}, registered {customer_id}")
    by_id = client.get_schema(customer_id)
    if [r.name for r in by_id.references] != ["inlet.interop.Address"]:
        fail(f"get_schema({customer_id}) lost the reference: {by_id.references}")
    if client.register_schema(value_subject, customer) != customer_id:
        fail("registering the same schema twice gave a new id")

    serializer = AvroSerializer(client, customer)
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    records = []
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append(str(err))

    for i in range(args.count):
        value = {
            "id": 1000 + i,
            "name": f"customer {i} \u00e9\u00e8",
            "home": {"street": f"{i} Rue de la Paix", "city": "Paris" if i % 2 else "Lyon"},
            "tags": [f"t{j}" for j in range(i % 3)],
            "score": None if i % 4 == 0 else i * 1.5,
        }
        key = f"k{i}".encode()
        framed = serializer(value, SerializationContext(args.topic, MessageField.VALUE))
        producer.produce(args.topic, key=key, value=framed, on_delivery=delivered)
        records.append({"key": key.decode(), "value": value})
    if producer.flush(30) != 0:
        fail("records still undelivered after 30 s")
    if errors:
        fail(f"delivery failed: {errors[:3]}")

    json.dump(
        {
            "address_id": address_id,
            "customer_id": customer_id,
            "value_subject": value_subject,
            "address_subject": address_subject,
            "records": records,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
