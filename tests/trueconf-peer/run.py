#!/usr/bin/env python3
"""Peer check: TrueConf's own Python client, python-trueconf-bot 1.5.x (unmodified), against
botwire's TrueConf simulator served by `botwire-sim --platform trueconf`.

    python3 run.py PATH/TO/botwire-sim

Starts the simulator on a free loopback port, logs a bot in through the OAuth-application flow
once, then runs echo_bot.py (password login) and, through the simulator's control API:

1. waits until the bot's socket is authorised;
2. injects a text message from a user and waits for "echo: <text>" in the transcript;
3. closes the socket and waits for the client to come back (same token, no HTTP request);
4. injects a document and waits for the bot to send a copy back (download, upload, sendFile);
5. sends "/probe", which makes the bot call 27 API methods and report what failed;
6. checks that every event the simulator pushed was acknowledged and no request failed.

Exits 0 on success, 1 on failure (printing the bot's log). Every wait is bounded; every process
it started is stopped. Standard library only, besides the client under test.
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOT = HERE / "echo_bot.py"
DEADLINE_S = 30.0
TEXT = "Where is my invoice?"
DOCUMENT = ("notes.txt", "line one\nline two, with ü\n")


class CheckFailed(Exception):
    pass


class Control:
    """The simulator's control API: JSON in, `{"ok":…,"result":…}` out."""

    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/_sim/trueconf/"

    def call(self, method: str, endpoint: str, body=None, timeout: float = 10.0):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + endpoint, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            answer = json.load(error)
        if not answer.get("ok"):
            raise CheckFailed(f"{method} {endpoint}: {answer.get('error')}")
        return answer["result"]

    def get(self, endpoint: str, **kwargs):
        return self.call("GET", endpoint, **kwargs)

    def post(self, endpoint: str, body: dict):
        return self.call("POST", endpoint, body)


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise CheckFailed("timed out")
    return left


def wait_until(deadline: float, what: str, probe):
    """Calls `probe` until it returns something truthy, polling the control API."""
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise CheckFailed(f"timed out waiting for {what}")
        time.sleep(0.05)


def start_simulator(binary: str, log) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [binary, "--platform", "trueconf", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    ready, _, _ = select.select([process.stdout], [], [], 15)
    line = process.stdout.readline().strip() if ready else ""
    if not line.startswith("listening on http://"):
        process.kill()
        raise CheckFailed(f"botwire-sim did not start (first line: {line!r})")
    return process, line.split()[-1]


def transcript_entry(control: Control, deadline: float, match):
    """Waits for a transcript entry for which `match(entry)` is true."""

    def probe():
        entries = control.get("transcript?min=1&wait_ms=200")
        return next((e for e in entries if match(e)), None)

    return wait_until(deadline, "the bot's answer", probe)


def check(binary: str, log_dir: Path) -> None:
    deadline = time.monotonic() + DEADLINE_S
    processes = []
    sim_log = open(log_dir / "botwire-sim.log", "w")
    bot_log = open(log_dir / "echo_bot.log", "w")
    try:
        sim, base = start_simulator(binary, sim_log)
        processes.append(sim)
        port = base.rsplit(":", 1)[1]
        control = Control(base)

        # The OAuth-application flow (three HTTP steps), then an authorised socket.
        oauth = subprocess.run(
            [sys.executable, str(BOT), port, "--oauth", "botwire-oauth-app"],
            stdout=subprocess.PIPE,
            stderr=bot_log,
            text=True,
            timeout=remaining(deadline),
        )
        if oauth.returncode != 0 or "authorised as helpdesk_bot@" not in oauth.stdout:
            raise CheckFailed(f"OAuth login failed (exit {oauth.returncode}): {oauth.stdout!r}")
        print(f"  {oauth.stdout.strip()}")

        bot = subprocess.Popen(
            [sys.executable, str(BOT), port], stdout=bot_log, stderr=bot_log
        )
        processes.append(bot)
        bot_id = control.get("state")["bot_id"]

        def authorised():
            if bot.poll() is not None:
                raise CheckFailed(f"the bot exited with {bot.returncode}")
            conns = control.get("connections?authorized=1&min=1&wait_ms=200")
            return [c for c in conns if c["user"] == bot_id]

        conn = wait_until(deadline, "the bot's authorised socket", authorised)[0]
        print(f"  bot authorised on connection {conn['conn']} as {bot_id}")

        # A user writes; the bot answers.
        injected = control.post("message", {"user": "alice", "text": TEXT})
        chat = injected["chat_id"]
        answer = transcript_entry(
            control,
            deadline,
            lambda e: e["action"] == "sent" and e["chat_id"] == chat,
        )
        if answer["text"] != f"echo: {TEXT}":
            raise CheckFailed(f"unexpected answer {answer['text']!r}")
        print(f"  answer in the transcript: {answer['text']!r}")

        def acked(ids):
            return lambda: set(ids) <= set(control.get("acked"))

        wait_until(deadline, "acknowledgements", acked(injected["event_ids"]))

        # The server closes the socket: the client reconnects at once, with the same token.
        http_before = control.get("state")["counters"]["http_requests"]
        control.post("close", {})

        def reauthorised():
            return [c for c in authorised() if c["conn"] != conn["conn"]]

        conn = wait_until(deadline, "the bot to reconnect", reauthorised)[0]
        if control.get("state")["counters"]["http_requests"] != http_before:
            raise CheckFailed("the client asked for a new token to reconnect")
        print(f"  reconnected on connection {conn['conn']} with the same token")

        # A user sends a document; the bot downloads it and sends a copy back.
        name, content = DOCUMENT
        size = len(content.encode())
        sent = control.post("file", {"user": "alice", "name": name, "content": content})
        copy = transcript_entry(
            control, deadline, lambda e: e["action"] == "file" and e["chat_id"] == chat
        )
        if copy["text"] != f"got {name}: {size} bytes" or copy["file"]["size"] != size:
            raise CheckFailed(f"unexpected copy {copy}")
        stored = control.get(f"file?id={copy['file']['file_id']}")
        if bytes.fromhex(stored["hex"]) != content.encode():
            raise CheckFailed("the copy's bytes differ from the original")
        print(f"  document copied back: {copy['file']['name']!r}, {size} bytes")

        # Most API methods, read by the client's strict parsers.
        probed = control.post("message", {"user": "alice", "text": "/probe"})
        result = transcript_entry(
            control,
            deadline,
            lambda e: e["action"] == "sent"
            and e["chat_id"] == chat
            and (e["text"] or "").startswith("probe "),
        )
        if not result["text"].startswith("probe ok"):
            raise CheckFailed(result["text"])
        print(f"  {result['text']}")

        # Every event was acknowledged; no request failed.
        wait_until(deadline, "acknowledgements", acked(sent["event_ids"] + probed["event_ids"]))
        wait_until(deadline, "acknowledgements", lambda: not control.get("unacked"))
        counters = control.get("state")["counters"]
        if counters["error_responses"] or counters["garbage_frames"] or counters["stray_acks"]:
            raise CheckFailed(f"the client sent something wrong: {counters}")
        if bot.poll() is not None:
            raise CheckFailed(f"the bot exited with {bot.returncode}")
        print(
            f"  {counters['acks']} events acknowledged, {counters['requests']} requests, "
            "no errors"
        )
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        sim_log.close()
        bot_log.close()


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/botwire-sim", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    if not os.access(binary, os.X_OK):
        print(f"{binary} is not an executable", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trueconf-peer-") as logs:
        log_dir = Path(logs)
        try:
            check(binary, log_dir)
        except (CheckFailed, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
            print(f"TrueConf peer check FAILED: {error}", file=sys.stderr)
            for log in sorted(log_dir.iterdir()):
                print(f"--- {log.name} ---", file=sys.stderr)
                print(log.read_text(errors="replace")[-20000:], file=sys.stderr)
            return 1
    print(f"TrueConf peer check passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
