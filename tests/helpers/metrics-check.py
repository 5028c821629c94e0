#!/usr/bin/python3
"""metrics-check: what tests/t-metrics.sh asks of cohortd's HTTP endpoint.

  compare JSON1 PROM JSON2 CTLPROM
      PROM (GET /metrics) parses as the Prometheus text format and holds
      every key of the `cohortctl --json stats` outputs JSON1 and JSON2
      taken just before and just after it, daemon and peer sections, with
      the value between the two (the same one for what does not move);
      its families and types are those of `cohortctl stats --prometheus`
      (CTLPROM), plus cohort_peer_up.
  flood HOST PORT N MAX
      N idle connections: the daemon keeps MAX and closes the others; a
      GET /metrics still answers 200 (and closes one more idle one).
  stall HOST PORT TIMEOUT_MS DEADLINE_S
      half a request: the daemon closes it after TIMEOUT_MS, not before.
  healthz STATUS KEY=VALUE...
      the JSON body on stdin has those string values (reason~TEXT: holds
      TEXT).

Exit 0 when it holds; else 1 with the reason on stderr.
"""

import json
import socket
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

STATES = {"unknown": 0, "self": 1, "up": 2, "down": 3, "left": 4,
          "refused": 5}
# Gauges the observer moves: cohortctl's own connection is a client of
# the daemon (not there during the scrape), and the scrape is an HTTP
# connection (there only during it).
OBSERVER = {("daemon", "clients"): -1, ("daemon", "http_connections"): +1}


def fail(msg):
    sys.stderr.write("metrics-check: %s\n" % msg)
    sys.exit(1)


def read_json(path):
    sections = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            obj = json.loads(line)
            kind, name = obj.pop("section"), obj.pop("name")
            if kind == "peer" and "state" in obj:
                obj["state"] = STATES[obj["state"]]
            sections[(kind, name)] = obj
    return sections


def read_prom(path):
    """{family: (type, {frozenset(labels): value})}"""
    with open(path, encoding="utf-8") as fp:
        text = fp.read()
    fams = {}
    try:
        for fam in text_string_to_metric_families(text):
            samples = {}
            for s in fam.samples:
                key = frozenset(s.labels.items())
                if key in samples:
                    fail("%s: sample %s twice" % (fam.name, s.labels))
                samples[key] = s.value
            if fam.name in fams:
                fail("family %s twice in %s" % (fam.name, path))
            fams[fam.name] = (fam.type, samples)
    except ValueError as e:
        fail("%s does not parse: %s" % (path, e))
    return fams


def compare(j1, prom, j2, ctlprom):
    a, b = read_json(j1), read_json(j2)
    fams = read_prom(prom)
    node = [n for (k, n) in a if k == "daemon"][0]
    checked = 0
    for (kind, name), rows in a.items():
        for key, v1 in rows.items():
            v2 = b[(kind, name)][key]
            if kind == "daemon":
                fam = "cohort_" + key
                labels = frozenset({"node": node}.items())
            else:
                fam = "cohort_%s_%s" % (kind, key)
                labels = frozenset({"node": node, kind: name}.items())
            if fam not in fams:
                fail("no family %s for %s %s" % (fam, kind, key))
            if labels not in fams[fam][1]:
                fail("%s has no sample %s" % (fam, dict(labels)))
            got = fams[fam][1][labels]
            shift = OBSERVER.get((kind, key), 0)
            if shift:
                if v1 != v2 or got != v1 + shift:
                    fail("%s: %s, with cohortctl showing %s then %s"
                         % (fam, got, v1, v2))
            elif fams[fam][0] == "counter" or key == "uptime_ms":
                if not v1 <= got <= v2:
                    fail("%s: %s, not between %s and %s (cohortctl)"
                         % (fam, got, v1, v2))
            elif v1 == v2 and got != v1:
                fail("%s: %s, cohortctl shows %s" % (fam, got, v1))
            checked += 1
        if kind == "peer":
            up = fams.get("cohort_peer_up", (None, {}))[1].get(
                frozenset({"node": node, "peer": name}.items()))
            if up != (1 if rows["state"] == STATES["up"] else 0):
                fail("cohort_peer_up of %s is %s with state %s"
                     % (name, up, rows["state"]))
    ctl = read_prom(ctlprom)
    # cohortctl prints through the same formatter: the same families.
    extra = set(fams) - set(ctl)
    if extra or set(ctl) - set(fams):
        fail("families differ from cohortctl's: daemon only %s, cohortctl "
             "only %s" % (sorted(extra), sorted(set(ctl) - set(fams))))
    for f in ctl:
        if fams[f][0] != ctl[f][0]:
            fail("%s is a %s, cohortctl says %s" % (f, fams[f][0], ctl[f][0]))
    print("%d values of %d sections, %d families as cohortctl's"
          % (checked, len(a), len(ctl)))


def closed(s):
    """Did the daemon close s (EOF or reset)?  Non-blocking."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def count_closed(socks, want, deadline):
    while True:
        n = sum(1 for s in socks if s.fileno() != -1 and closed(s))
        if n >= want or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def flood(host, port, n, most):
    socks = [socket.create_connection((host, port), timeout=5)
             for _ in range(n)]
    deadline = time.monotonic() + 10
    got = count_closed(socks, n - most, deadline)
    if got != n - most:
        fail("%d idle connections: %d closed, not %d" % (n, got, n - most))
    time.sleep(0.2)
    got = count_closed(socks, n - most + 1, 0)
    if got != n - most:
        fail("more idle connections closed: %d of %d" % (got, n))
    url = "http://%s:%d/metrics" % (host if ":" not in host
                                     else "[%s]" % host, port)
    with urllib.request.urlopen(url, timeout=5) as r:
        if r.status != 200 or b"cohort_http_conns_refused" not in r.read():
            fail("GET /metrics beside %d idle connections: %d" % (most,
                                                                 r.status))
    got = count_closed(socks, n - most + 1, time.monotonic() + 10)
    if got != n - most + 1:
        fail("the scrape closed %d idle connections, not 1"
             % (got - (n - most)))
    for s in socks:
        s.close()
    print("%d idle connections: %d closed at once, /metrics answered, "
          "closing one more" % (n, n - most))


def stall(host, port, timeout_ms, deadline_s):
    s = socket.create_connection((host, port), timeout=deadline_s)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    try:
        data = s.recv(100)
    except socket.timeout:
        fail("half a request still open after %s s" % deadline_s)
    except OSError:
        data = b""
    waited = (time.monotonic() - t0) * 1000
    if data != b"":
        fail("half a request got an answer: %r" % data)
    if waited < timeout_ms * 0.9:
        fail("half a request closed after %.0f ms, before %d"
             % (waited, timeout_ms))
    print("half a request closed after %.0f ms (timeout_ms %d)"
          % (waited, timeout_ms))


def healthz(status, pairs):
    body = sys.stdin.read()
    try:
        obj = json.loads(body)
    except ValueError as e:
        fail("/healthz body is not JSON (%s): %r" % (e, body))
    if obj.get("status") != status:
        fail("/healthz status %r, not %r: %s" % (obj.get("status"), status,
                                                  body))
    for p in pairs:
        if "~" in p:
            k, v = p.split("~", 1)
            if v not in str(obj.get(k)):
                fail("/healthz %s lacks %r: %s" % (k, v, body))
        else:
            k, v = p.split("=", 1)
            if str(obj.get(k)) != v:
                fail("/healthz %s is %r, not %r: %s" % (k, obj.get(k), v,
                                                       body))
    print(body.strip())


def main():
    if len(sys.argv) < 2:
        fail("usage: see the top of %s" % sys.argv[0])
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "compare" and len(args) == 4:
        compare(*args)
    elif cmd == "flood" and len(args) == 4:
        flood(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "stall" and len(args) == 4:
        stall(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "healthz" and len(args) >= 1:
        healthz(args[0], args[1:])
    else:
        fail("bad arguments: %s" % " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
