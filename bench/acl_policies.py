#!/usr/bin/env python3
"""Writes the policies of the many-rules ACL row as request bodies.

usage: acl_policies.py DIR COUNT RULES

Writes DIR/policy-1.json .. DIR/policy-COUNT.json, each the body of a
PUT /v1/sys/policies/acl/<name>: a policy of RULES read rules on paths
under secret/data/app-<i>/<j>/ that no benchmark request touches (they
share the mount and the key prefix with the read path, so a lookup cannot
rule them out by their first bytes), and, in the last policy only, the
one rule that grants the read: secret/data/*. Also writes DIR/policy-one.json,
that grant alone, for the one-rule token the row is compared with.
"""

import json
import os
import sys

GRANT = 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n'


def write(path, text):
    with open(path, "w") as f:
        json.dump({"policy": text}, f)


def main():
    out, count, rules = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(1, count + 1):
        parts = [f'path "secret/data/app-{i}/{j}/*" {{\n'
                 '  capabilities = ["read"]\n}\n'
                 for j in range(1, rules + 1)]
        if i == count:
            parts.append(GRANT)
        write(os.path.join(out, f"policy-{i}.json"), "".join(parts))
    write(os.path.join(out, "policy-one.json"), GRANT)


if __name__ == "__main__":
    main()
