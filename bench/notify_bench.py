"""Notification delivery: events/s over SMTP and webhooks, and the delay from a lead's offer
to the partner's e-mail under load.

    .venv/bin/python -m bench.notify_bench
    .venv/bin/python -m bench.notify_bench --events 2000 --workers 2 --rate 20 --seconds 30 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_notify

Receivers are real and local: an aiosmtpd SMTP server and HTTP webhook receivers that check
every signature. The store is emptied first (a SQLite file under bench/var/ by default).
1. Throughput: `--events` committed events for e-mail (one recipient each), then as many for
   webhooks (one subscription each), delivered by `--workers` `partnermatch notify`
   processes; events/s from the first arrival to the last.
2. Offer to e-mail: a `partnermatch serve` (its worker inside) on the same store gets leads
   open-loop at `--rate` per second for `--seconds`; every lead is offered to a partner whose
   contact gets an e-mail, and every event also goes to each webhook receiver. The delay is
   from the moment the lead was sent to the e-mail's arrival (p50/p99).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.receivers import SmtpServer, WebhookReceiver
from bench.server import Server
from bench.write_path_bench import LEAD, PARTNER, _empty_store
from core.database import make_engine, make_sessionmaker, transaction
from matcher.notifications import outbox
from matcher.notifications.schemas import SubscriptionCreate
from matcher.notifications.service import create_subscription

VAR = Path(__file__).parent / "var"
SECRET = "whsec_bench_0123456789abcdef"
MANAGER = "manager@vendor.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    parser.add_argument("--events", type=int, default=2000, help="per channel, throughput run")
    parser.add_argument("--workers", type=int, default=2, help="partnermatch notify processes")
    parser.add_argument("--receivers", type=int, default=2, help="webhook receivers")
    parser.add_argument("--rate", type=float, default=20, help="leads per second, offer run")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{VAR / 'notify.db'}"
    store = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{store}, load average {os.getloadavg()[0]:.1f} at the start")
    with SmtpServer() as smtp:
        receivers = [WebhookReceiver(SECRET).start() for _ in range(args.receivers)]
        try:
            env = {
                "database_url": url,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "manager_emails": MANAGER,
                "rate_limit": "off",
            }
            _throughput(url, env=env, smtp=smtp, receivers=receivers, args=args)
            _offer_to_mail(url, env=env, smtp=smtp, receivers=receivers, args=args)
        finally:
            for receiver in receivers:
                receiver.stop()


def _throughput(
    url: str,
    *,
    env: dict[str, Any],
    smtp: SmtpServer,
    receivers: list[WebhookReceiver],
    args: argparse.Namespace,
) -> None:
    """E-mail first (lead.unassigned: one manager address), then webhooks (lead.accepted: one
    subscription per receiver, nobody to e-mail)."""
    _empty_store(url)
    _commit_events(url, kind="lead.unassigned", count=args.events)
    times = _deliver(
        env, workers=args.workers, arrivals=lambda: smtp.mailbox.arrived_at, count=args.events
    )
    _report("SMTP", times, events=args.events, workers=args.workers)
    _subscribe(url, receivers, kinds=["lead.accepted"])
    _commit_events(url, kind="lead.accepted", count=args.events)
    times = _deliver(
        env,
        workers=args.workers,
        arrivals=lambda: _webhook_arrivals(receivers),
        count=args.events * len(receivers),
    )
    _report(
        f"webhooks ({len(receivers)} receivers)", times, events=args.events, workers=args.workers
    )
    smtp.mailbox.messages.clear()
    smtp.mailbox.arrived_at.clear()


def _deliver(
    env: dict[str, Any], *, workers: int, arrivals: Callable[[], list[float]], count: int
) -> list[float]:
    """Start the notify processes, wait for `count` arrivals, stop them; the arrival times."""
    processes = [_notify(env, n) for n in range(workers)]
    try:
        return _wait(arrivals, count=count)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _report(channel: str, times: list[float], *, events: int, workers: int) -> None:
    span = max(times) - min(times)
    print(
        f"throughput {channel}: {len(times)} deliveries of {events} events by {workers} "
        f"notify processes in {span:.1f} s: {len(times) / span:.0f} deliveries/s, "
        f"{events / span:.0f} events/s"
    )


def _offer_to_mail(
    url: str,
    *,
    env: dict[str, Any],
    smtp: SmtpServer,
    receivers: list[WebhookReceiver],
    args: argparse.Namespace,
) -> None:
    key = _empty_store(url)
    for receiver in receivers:
        receiver.received.events.clear()
        receiver.received.first_arrival.clear()
        receiver.received.arrivals.clear()
    _subscribe(url, receivers, kinds=[])
    server = Server(log_dir=VAR, index_dir=VAR / "notify-index", **env).start()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            for n in range(10):
                contacts = [{"name": "Leads", "email": f"leads{n}@p.example", "role": "leads"}]
                body = {
                    **PARTNER,
                    "name": f"Partner {n}",
                    "contacts": contacts,
                    "capacity": {"max_open_leads": 100_000},
                }
                http.post("/v1/partners", json=body).raise_for_status()
        sent = asyncio.run(_open_loop(server.url, headers, rate=args.rate, seconds=args.seconds))
        expected = len(sent)
        _wait(lambda: smtp.mailbox.arrived_at, count=expected)
    finally:
        server.stop()
    arrived = {
        "bench-lead-" + str(message["Subject"]).split("bench-lead-")[-1].strip(): at
        for message, at in zip(smtp.mailbox.messages, smtp.mailbox.arrived_at, strict=True)
        if "New lead for you: bench-lead-" in str(message["Subject"])
    }
    delays = np.array([arrived[title] - at for title, (at, _) in sent.items()]) * 1000
    after = np.array([arrived[title] - answered for title, (_, answered) in sent.items()]) * 1000
    webhooks = len(_webhook_arrivals(receivers))
    p50, p99 = np.percentile(delays, [50, 99])
    a50, a99 = np.percentile(after, [50, 99])
    print(
        f"offer to e-mail: {expected} leads at {args.rate:.0f}/s for {args.seconds:.0f} s "
        f"(plus {webhooks} webhook deliveries), worker inside serve: from sending the lead "
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {delays.max():.0f} ms; from its 201 "
        f"p50 {a50:.0f} ms, p99 {a99:.0f} ms"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


async def _open_loop(
    base_url: str, headers: dict[str, str], *, rate: float, seconds: float
) -> dict[str, tuple[float, float]]:
    """A lead every 1/rate s whatever the answers; lead title -> wall-clock times of sending
    and of the 201 (the offer committed)."""
    sent: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        start = time.perf_counter() + 0.1

        async def one(n: int) -> None:
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            title, at = f"bench-lead-{n}", time.time()
            response = await client.post("/v1/leads", json={**LEAD, "title": title})
            if response.status_code == 201 and response.json()["status"] == "offered":
                sent[title] = (at, time.time())

        await asyncio.gather(*(one(n) for n in range(int(rate * seconds))))
    return sent


def _commit_events(url: str, *, kind: str, count: int) -> None:
    engine = make_engine(url)
    now = datetime.now(UTC)
    with transaction(make_sessionmaker(engine)) as session:
        for n in range(count):
            outbox.emit(
                session,
                kind=kind,
                occurrence=f"bench:{kind}:{n}",
                now=now,
                payload={"title": f"bench {n}", "customer": "Bench AG"},
            )
    engine.dispose()


def _subscribe(url: str, receivers: list[WebhookReceiver], *, kinds: list[str]) -> None:
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        for receiver in receivers:
            data = SubscriptionCreate(url=receiver.url, secret=SECRET, event_types=kinds)  # type: ignore[arg-type]
            create_subscription(session, data, now=datetime.now(UTC))
    engine.dispose()


def _notify(env: dict[str, Any], n: int) -> subprocess.Popen[bytes]:
    variables = {
        **os.environ,
        **{f"PARTNERMATCH_{name.upper()}": str(value) for name, value in env.items()},
        "PARTNERMATCH_NOTIFY_POLL_SECONDS": "0.2",
    }
    log = (VAR / f"notify-{n}.log").open("wb")
    command = [str(Path(sys.executable).with_name("partnermatch")), "notify"]
    return subprocess.Popen(command, env=variables, stdout=log, stderr=subprocess.STDOUT)


def _webhook_arrivals(receivers: list[WebhookReceiver]) -> list[float]:
    arrivals: list[float] = []
    for receiver in receivers:
        with receiver.received.lock:
            arrivals += receiver.received.first_arrival.values()
    return arrivals


def _wait(arrivals: Callable[[], list[float]], *, count: int, timeout: float = 900) -> list[float]:
    deadline = time.monotonic() + timeout
    while len(arrivals()) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(arrivals())} of {count} arrived in {timeout} s")
        time.sleep(0.05)
    return list(arrivals())


if __name__ == "__main__":
    main()
