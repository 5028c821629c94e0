# python/examples/hello_aio.py: a request and two messages, on asyncio
import asyncio

import cohort.aio


async def main() -> None:
    async with cohort.aio.Client() as c:
        answer = await c.request("n3", "demo.upper", "hi from asyncio",
                                 timeout=2)
        print("n3 answered:", answer.decode())
        async with c.subscribe("demo.>") as sub:
            async for msg in sub.messages(count=2, timeout=10):
                print(f"{msg.origin} sent {msg.subject}: {msg.text}")

asyncio.run(main())
