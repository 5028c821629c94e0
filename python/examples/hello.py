# python/examples/hello.py: the members, a request, two messages
import cohort

with cohort.Client() as c:              # the daemon at $COHORT_SOCKET
    print(f"node {c.node_id} of cluster {c.cluster}")
    for m in c.members():
        print(f"  {m.id} {m.state!s:7} rtt {m.rtt_us} us")
    answer = c.request("n3", "demo.upper", "hello from python", timeout=2)
    print("n3 answered:", answer.decode())
    with c.subscribe("demo.>") as sub:
        for msg in sub.messages(count=2, timeout=10):
            print(f"{msg.origin} sent {msg.subject}: {msg.data.decode()}")
