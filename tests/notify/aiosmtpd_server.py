#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd, from PyPI) on 127.0.0.1 for nowsync's notification checks.

Each accepted message is written to --dir as NNN.json: {"mail_from", "rcpt_tos", "login",
"content"}. AUTH PLAIN/LOGIN is offered over plain loopback (auth_require_tls=False) and
succeeds only for --user/--password; a message without a login is accepted too.

Prints one JSON line {"port": N} once listening, then serves until stdin closes or SIGTERM.
Run by tests/it/notify.rs (`notify::smtp_real_aiosmtpd`), which .ci/run selects by name.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login,
            "content": envelope.content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.directory, "%03d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd answers a failure with its own 535 (True means "already answered").
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    loop = asyncio.get_running_loop()
    handler = Recorder(args.dir)
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            authenticator=authenticator(args.user, args.password),
            auth_require_tls=False,
            auth_required=False,
        ),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # The test closes our stdin when it is done (or dies): stop then too.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1) else None)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
