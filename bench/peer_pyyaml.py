#!/usr/bin/env python3
"""Peer for `specsync check`: PyYAML's C loader (libyaml) and jsonschema-rs on every *.yaml under DIR.

Usage: peer_pyyaml.py SCHEMA DIR   (exit 1 when a file is invalid, like `specsync check`)
"""
import json
import os
import sys

import jsonschema_rs
import yaml

schema_path, root = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    validator = jsonschema_rs.validator_for(json.load(f))
invalid = 0
for directory, _, names in os.walk(root):
    for name in names:
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            data = yaml.load(f.read(), Loader=yaml.CSafeLoader)
        if not validator.is_valid(data):
            invalid += 1
sys.exit(1 if invalid else 0)
