"""Reads `cargo test --no-run --message-format=json` on stdin and prints the
path of each test executable it built, one per line."""
import json
import sys

for line in sys.stdin:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        continue
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        if message.get("profile", {}).get("test"):
            print(message["executable"])
