#!/usr/bin/python3
"""demo_app: a small cohort application in Python, run by tools/demo on n3.

    demo_app.py [-c COUNT] [-t SECONDS]

Connects to the daemon at $COHORT_SOCKET, says hello to every other node
on demo.greeting, then answers each request on demo.upper with its body
in upper case and prints what it answered, until COUNT requests or
SECONDS have passed (default: until the daemon goes away).
"""

import argparse
import sys

import cohort


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-c", type=int, default=None, help="requests to answer")
    ap.add_argument("-t", type=float, default=None, help="seconds to run")
    args = ap.parse_args()

    with cohort.Client() as c:
        try:
            c.broadcast("demo.greeting", f"hello from Python on {c.node_id}")
        except cohort.Unreachable as e:
            print(f"demo_app: not every node got the greeting: {e}")
        with c.subscribe("demo.upper") as sub:
            n = 0
            for m in sub.messages(timeout=args.t):
                if not m.is_request:
                    continue
                answer = m.data.upper()
                m.reply(answer)
                print(f'demo_app: {m.origin} asked "{m.text}", '
                      f'answered "{answer.decode(errors="replace")}"')
                n += 1
                if args.c is not None and n >= args.c:
                    break
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (cohort.Closed, KeyboardInterrupt):
        sys.exit(0)   # the daemon stopped, or Ctrl-C: so does the demo
    except cohort.Error as e:
        print(f"demo_app: {e}", file=sys.stderr)
        sys.exit(1)
