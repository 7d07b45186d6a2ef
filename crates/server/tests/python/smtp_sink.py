"""An SMTP server for the delivery tests: aiosmtpd on 127.0.0.1, an independent counterpart.

Prints `LISTENING <port>` once it accepts connections, then stores every message it accepts in
--dir as NNNN.eml (the raw bytes) and NNNN.json (the envelope, and the message as Python's
`email` package parses it: decoded headers and the decoded text of each part).

  --reject-550 REGEX   answer RCPT TO for matching recipients with a permanent 550
  --defer-451 REGEX    answer RCPT TO for matching recipients with a transient 451
  --starttls           offer STARTTLS and refuse mail without it (needs --cert/--key)
  --implicit-tls       TLS from the first byte (needs --cert/--key)
  --auth USER:PASS     accept AUTH PLAIN/LOGIN with these credentials only (after TLS)
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import re
import ssl
import logging
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


# aiosmtpd logs a warning about its own use of a deprecated attribute on every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Handler:
    def __init__(self, directory, reject, defer):
        self.directory = directory
        self.reject = re.compile(reject) if reject else None
        self.defer = re.compile(defer) if defer else None
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if self.defer and self.defer.search(address):
            return f"451 4.3.0 <{address}>: temporarily deferred, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        base = os.path.join(self.directory, f"{n:04d}")
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            parts.append({"content_type": part.get_content_type(), "text": part.get_content().replace("\r\n", "\n")})
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "content_type": msg.get_content_type(),
            "headers": {k: str(v) for k, v in msg.items()},
            "parts": parts,
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.replace(base + ".json.tmp", base + ".json")
        return f"250 2.0.0 Ok: queued as SINK{n:04d}"


def authenticator(expected):
    user, _, password = expected.partition(":")

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    return check


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--reject-550")
    p.add_argument("--defer-451")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    a = p.parse_args()

    context = None
    if a.starttls or a.implicit_tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    handler = Handler(a.dir, a.reject_550, a.defer_451)
    options = {"hostname": "sink.test", "data_size_limit": 10 * 1024 * 1024}
    if a.auth:
        options.update(authenticator=authenticator(a.auth), auth_required=True, auth_require_tls=True)
    if a.starttls:
        options.update(tls_context=context, require_starttls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        host="127.0.0.1",
        port=a.port,
        ssl=context if a.implicit_tls else None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
