#!/usr/bin/env python
"""The load test: `make loadtest` (or `python scripts/loadtest.py --clients 16 --seconds 30`).

Starts the API as in production on a database of its own, registers people who post needs and
offers, then lets many concurrent clients on loopback mix reads (radius lists, matches) with
pledges and acceptances for a bounded time. It ends by checking every invariant in the database:
no offer or need has more accepted than its quantity, exhausted and met statuses agree with what
remains, every accepted pledge's sides still exist. It prints requests served, errors by kind and
invariants checked, and exits 1 if any invariant broke or the server ever answered 500.
"""

import argparse
import random
import threading
import time
from collections import Counter

import httpx
import psycopg
from bench import bench_environment, prepare, sql_url, start_server

CREATE_NEED = """mutation($p: PointInput!) { createNeed(input: {title: "Helpers", kind: VOLUNTEERING, location: $p,
  quantity: 5, searchRadiusMeters: 3000}) { id } }"""
CREATE_OFFER = """mutation($p: PointInput!) { createOffer(input: {title: "An afternoon", kind: VOLUNTEERING,
  location: $p, quantity: 3, serviceRadiusMeters: 3000}) { id } }"""
PLEDGE = """mutation($o: ID!, $n: ID!) { pledge(offerId: $o, needId: $n, quantity: 1) { id } }"""
RESPOND = """mutation($p: ID!) { respondToPledge(pledgeId: $p, accept: true) { status } }"""
NEARBY = """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 800}}, first: 20) {
  totalCount edges { node { id distanceMeters } } } }"""
MATCHES = """query($n: ID!) { matches(needId: $n, first: 5) { score offer { id } } }"""
AREA = (-73.62, 45.49, -73.55, 45.54)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--people", type=int, default=12, help="carriers and givers, each")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    env = bench_environment("_load")
    prepare(env, 20_000, 2_000)
    server = start_server(env, args.port)
    try:
        report = run(f"http://127.0.0.1:{args.port}/graphql", args)
    finally:
        server.terminate()
        server.wait(timeout=20)
    broken = check_invariants(sql_url(env))
    print_report(report, broken, args)
    raise SystemExit(1 if broken or report["statuses"].get(500) else 0)


def point(rng: random.Random) -> dict:
    return {"longitude": rng.uniform(AREA[0], AREA[2]), "latitude": rng.uniform(AREA[1], AREA[3])}


def count(report: dict, kind: str) -> None:
    with report["lock"]:
        report["calls"][kind] += 1


def call(client: httpx.Client, url: str, query: str, variables: dict, token: str | None, report: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(url, json={"query": query, "variables": variables}, headers=headers)
    with report["lock"]:
        report["statuses"][response.status_code] += 1
    body = response.json() if response.status_code == 200 else {}
    with report["lock"]:
        for error in body.get("errors", []):
            report["errors"][error.get("extensions", {}).get("code", "?")] += 1
    return body


def run(url: str, args) -> dict:
    report = {"lock": threading.Lock(), "statuses": Counter(), "errors": Counter(), "calls": Counter()}
    rng = random.Random(7)
    stamp = int(time.time())
    people = {"carriers": [], "givers": []}
    needs, offers = [], []
    with httpx.Client(timeout=30) as client:
        for role in people:
            for i in range(args.people):
                email = f"{role}{i}-{stamp}@load.example.org"
                body = call(
                    client,
                    url,
                    'mutation($e: String!) { register(email: $e, password: "a long load-test phrase") { token } }',
                    {"e": email},
                    None,
                    report,
                )
                people[role].append(body["data"]["register"]["token"])
        for token in people["carriers"]:
            needs.append(
                (token, call(client, url, CREATE_NEED, {"p": point(rng)}, token, report)["data"]["createNeed"]["id"])
            )
        for token in people["givers"]:
            offers.append(
                (token, call(client, url, CREATE_OFFER, {"p": point(rng)}, token, report)["data"]["createOffer"]["id"])
            )
    proposed: list[tuple[str, str]] = []  # (carrier token, pledge id)
    carrier_of = dict((need_id, token) for token, need_id in needs)
    deadline = time.monotonic() + args.seconds

    def client_loop(k: int) -> None:
        local = random.Random(k)
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < deadline:
                dice = local.random()
                if dice < 0.45:
                    count(report, "read: radius list")
                    call(client, url, NEARBY, {"p": point(local)}, None, report)
                elif dice < 0.6:
                    count(report, "read: matches")
                    call(client, url, MATCHES, {"n": local.choice(needs)[1]}, None, report)
                elif dice < 0.8:
                    count(report, "write: pledge")
                    token, offer_id = local.choice(offers)
                    need_id = local.choice(needs)[1]
                    body = call(client, url, PLEDGE, {"o": offer_id, "n": need_id}, token, report)
                    if body.get("data") and body["data"].get("pledge"):
                        with report["lock"]:
                            proposed.append((carrier_of[need_id], body["data"]["pledge"]["id"]))
                else:
                    with report["lock"]:
                        pick = proposed.pop(local.randrange(len(proposed))) if proposed else None
                    if pick:
                        count(report, "write: accept")
                        call(client, url, RESPOND, {"p": pick[1]}, pick[0], report)

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(args.clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report["elapsed"] = time.monotonic() - started
    return report


INVARIANTS = {
    "no offer has more accepted than its quantity": """
        SELECT count(*) FROM offers_offer o JOIN LATERAL (
          SELECT coalesce(sum(quantity), 0) AS used FROM offers_pledge p
           WHERE p.offer_id = o.id AND p.status IN ('ACCEPTED', 'FULFILLED')) u ON TRUE
         WHERE o.quantity IS NOT NULL AND u.used > o.quantity""",
    "no need has more accepted than its quantity": """
        SELECT count(*) FROM offers_need n JOIN LATERAL (
          SELECT coalesce(sum(quantity), 0) AS used FROM offers_pledge p
           WHERE p.need_id = n.id AND p.status IN ('ACCEPTED', 'FULFILLED')) u ON TRUE
         WHERE n.quantity IS NOT NULL AND u.used > n.quantity""",
    "an offer is exhausted exactly when nothing remains": """
        SELECT count(*) FROM offers_offer o JOIN LATERAL (
          SELECT coalesce(sum(quantity), 0) AS used FROM offers_pledge p
           WHERE p.offer_id = o.id AND p.status IN ('ACCEPTED', 'FULFILLED')) u ON TRUE
         WHERE o.quantity IS NOT NULL AND u.used > 0 AND (o.status = 'EXHAUSTED') <> (u.used = o.quantity)""",
    "a need is met exactly when nothing remains": """
        SELECT count(*) FROM offers_need n JOIN LATERAL (
          SELECT coalesce(sum(quantity), 0) AS used FROM offers_pledge p
           WHERE p.need_id = n.id AND p.status IN ('ACCEPTED', 'FULFILLED')) u ON TRUE
         WHERE n.quantity IS NOT NULL AND u.used > 0 AND (n.status = 'MET') <> (u.used = n.quantity)""",
    "every pledge joins an offer and a need of the same kind": """
        SELECT count(*) FROM offers_pledge p JOIN offers_offer o ON o.id = p.offer_id
          JOIN offers_need n ON n.id = p.need_id WHERE o.kind <> n.kind""",
}


def check_invariants(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in INVARIANTS.items()}


def print_report(report: dict, broken: dict[str, int], args) -> None:
    served = sum(report["statuses"].values())
    print(
        f"\n{args.clients} clients for {report['elapsed']:.0f} s: {served} requests, "
        f"{served / report['elapsed']:.0f}/s; HTTP statuses {dict(report['statuses'])}"
    )
    for kind, n in sorted(report["calls"].items()):
        print(f"  {kind:22} {n}")
    print(f"errors by code: {dict(report['errors']) or 'none'} (CONFLICT is the expected answer to an over-pledge)")
    for name, count in broken.items():
        print(f"  invariant {'ok    ' if count == 0 else 'BROKEN'} {name}" + (f" ({count} rows)" if count else ""))


if __name__ == "__main__":
    main()
