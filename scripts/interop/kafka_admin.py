#!/usr/bin/env python3
"""Kafka administration the Rust client cannot do: SCRAM users and ACLs.

Talks to the broker's PLAINTEXT listener, whose ANONYMOUS principal is a super user
(`scripts/kafka/server.properties`). Prints one JSON document on stdout.

  kafka_admin.py --bootstrap B user NAME     a SCRAM-SHA-256 and -512 user, password from
                                             $KAFKA_ADMIN_PASSWORD (never on a command line)
  kafka_admin.py --bootstrap B grant USER KIND NAME OP PATTERN
  kafka_admin.py --bootstrap B revoke USER KIND NAME OP PATTERN
        KIND: cluster | topic | group;  OP: DESCRIBE | READ | ...;  PATTERN: LITERAL | PREFIXED

Used by the Rust test `crates/cli/tests/integration/permissions.rs`; runs in the virtualenv that
`scripts/services up` makes.
"""

import argparse
import json
import os
import sys

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

KINDS = {"cluster": ResourceType.BROKER, "topic": ResourceType.TOPIC, "group": ResourceType.GROUP}


def wait(futures):
    for future in futures.values() if isinstance(futures, dict) else futures:
        future.result(timeout=30)


def binding(args, cls):
    kind = KINDS[args.kind]
    # The cluster resource is named "kafka-cluster" in Kafka's ACLs.
    name = "kafka-cluster" if kind == ResourceType.BROKER else args.name
    return cls(
        kind,
        name,
        ResourcePatternType[args.pattern],
        f"User:{args.user}",
        "*",
        AclOperation[args.op],
        AclPermissionType.ALLOW,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    user = sub.add_parser("user")
    user.add_argument("name")
    for command in ("grant", "revoke"):
        acl = sub.add_parser(command)
        acl.add_argument("user")
        acl.add_argument("kind", choices=sorted(KINDS))
        acl.add_argument("name")
        acl.add_argument("op")
        acl.add_argument("pattern", choices=["LITERAL", "PREFIXED"])
    args = parser.parse_args()

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    if args.command == "user":
        password = os.environ.get("KAFKA_ADMIN_PASSWORD")
        if not password:
            print("kafka_admin.py: set KAFKA_ADMIN_PASSWORD to the user's password", file=sys.stderr)
            sys.exit(2)
        # One credential per user and request (the broker refuses two in one).
        for mechanism in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512):
            upsert = UserScramCredentialUpsertion(
                args.name, ScramCredentialInfo(mechanism, 4096), password.encode()
            )
            wait(admin.alter_user_scram_credentials([upsert]))
    elif args.command == "grant":
        wait(admin.create_acls([binding(args, AclBinding)]))
    else:
        for future in admin.delete_acls([binding(args, AclBindingFilter)]).values():
            deleted = future.result(timeout=30)
            if not deleted:
                print(json.dumps({"error": "no such ACL"}))
                sys.exit(1)
    print(json.dumps({"ok": args.command}))


if __name__ == "__main__":
    main()
