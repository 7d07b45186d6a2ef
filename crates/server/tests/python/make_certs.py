"""Test certificates: a throwaway CA and a server certificate for 127.0.0.1 and localhost.

Usage: make_certs.py DIR  — writes DIR/ca.pem, DIR/server.pem (chain) and DIR/server.key.
"""

import os
import sys

import trustme

directory = sys.argv[1]
ca = trustme.CA()
server = ca.issue_cert("127.0.0.1", "localhost", "::1")
ca.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
server.private_key_pem.write_to_path(os.path.join(directory, "server.key"))
with open(os.path.join(directory, "server.pem"), "wb") as f:
    for blob in server.cert_chain_pems:
        f.write(blob.bytes())
print("OK", flush=True)
