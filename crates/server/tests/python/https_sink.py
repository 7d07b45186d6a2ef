"""An HTTPS server for the webhook tests: Python's own TLS and HTTP, an independent counterpart.

Prints `LISTENING <port>` once it accepts connections on 127.0.0.1, then answers every POST with
202 and stores it in --dir as NNNN.json: the path, the headers (names in lower case) and the body (as text).

Usage: https_sink.py --dir DIR --cert server.pem --key server.key
"""

import argparse
import http.server
import itertools
import json
import os
import ssl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    a = p.parse_args()
    counter = itertools.count(1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("utf-8")}
            base = os.path.join(a.dir, f"{next(counter):04d}")
            with open(base + ".json.tmp", "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(base + ".json.tmp", base + ".json")
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(a.cert, a.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
